package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Appends queued together are applied with shared statements, and each still gets the outcome it
 * would have had alone; groups the shared statements cannot decide go one append at a time.
 */
@Timeout(60)
class BatchedAppendsTest {

    @TempDir
    Path directory;

    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    /** Runs the appends as one group behind a held commit and returns each one's result or failure. */
    private Map<String, Object> runAsOneGroup(SqliteEventStore store, Map<String, Callable<List<Event>>> appends,
            WriterGate gate) throws Exception {
        return runAsOneGroup(store, appends, gate, 1);
    }

    /** As above, expecting {@code groupCommits} commits of the group (0 if its transaction is lost). */
    private Map<String, Object> runAsOneGroup(SqliteEventStore store, Map<String, Callable<List<Event>>> appends,
            WriterGate gate, int groupCommits) throws Exception {
        long commitsBefore = store.commitCount();
        store.setWriterHooks(gate);
        Future<List<Event>> blocker = pool.submit(() -> store.appendStream(TypeId.newV4("blocker"), events("b", 1)));
        GroupCommitTest.await(gate.held);
        Map<String, Future<List<Event>>> futures = new LinkedHashMap<>();
        appends.forEach((name, call) -> futures.put(name, pool.submit(call)));
        GroupCommitTest.await(gate.queued);
        gate.release.countDown();
        assertThat(blocker.get()).hasSize(1);
        Map<String, Object> outcomes = new LinkedHashMap<>();
        for (var entry : futures.entrySet()) {
            try {
                outcomes.put(entry.getKey(), entry.getValue().get());
            } catch (ExecutionException e) {
                outcomes.put(entry.getKey(), e.getCause());
            }
        }
        store.setWriterHooks(null);
        assertThat(store.commitCount() - commitsBefore).as("the blocker's commit and the whole group's")
                .isEqualTo(1 + groupCommits);
        return outcomes;
    }

    private static List<WritableEvent> events(String type, int n) {
        List<WritableEvent> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(WritableEvent.of(type, new byte[] {(byte) i, 42}).withMetadata(Map.of("i", "" + i)));
        }
        return list;
    }

    @Test
    @DisplayName("a group larger than one statement's rows and keys is applied together, each append as if alone")
    void largeGroupAppliedTogether() throws Exception {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("batch.db"))) {
            TypeId seeded = TypeId.newV4("seeded");
            store.appendStream(seeded, events("seed", 1));

            Map<String, Callable<List<Event>>> appends = new LinkedHashMap<>();
            Map<String, TypeId> goodStreams = new LinkedHashMap<>();
            // More streams than one lookup carries, more events than one INSERT carries.
            int goods = WriteStatements.KEYS_PER_STATEMENT + 40;
            for (int i = 0; i < goods; i++) {
                TypeId stream = TypeId.newV4(i % 2 == 0 ? "even" : "odd");
                String name = "good-" + i;
                goodStreams.put(name, stream);
                int size = 1 + i % 3;
                String type = "good" + (i % 4);
                appends.put(name, () -> store.appendStream(stream, events(type, size),
                        AppendStreamOptions.expectingNoStream()));
            }
            // The seeded stream grows inside the group: the later append must see the earlier one.
            appends.put("seeded-next", () -> store.appendStream(seeded, events("next", 2),
                    AppendStreamOptions.expectingVersion(1)));
            appends.put("conflict", () -> store.appendStream(seeded, events("late", 1),
                    AppendStreamOptions.expectingVersion(7)));
            appends.put("absent", () -> store.appendStream(TypeId.newV4("absent"), events("x", 1),
                    AppendStreamOptions.expectingStreamExists()));
            TypeId contested = TypeId.newV4("contested");
            appends.put("contested-a", () -> store.appendStream(contested, events("a", 2),
                    AppendStreamOptions.expectingNoStream()));
            appends.put("contested-b", () -> store.appendStream(contested, events("b", 2),
                    AppendStreamOptions.expectingNoStream()));
            TypeId shared = TypeId.newV4("shared");
            appends.put("shared-a", () -> store.appendStream(shared, events("a", 2)));
            appends.put("shared-b", () -> store.appendStream(shared, events("b", 3)));

            WriterGate gate = new WriterGate(1 + appends.size());
            Map<String, Object> outcomes = runAsOneGroup(store, appends, gate);

            assertThat(gate.batches).as("every queued append went through the shared statements at once")
                    .containsExactly(appends.size());
            for (var entry : goodStreams.entrySet()) {
                assertThat(outcomes.get(entry.getKey())).isInstanceOf(List.class);
                assertThat(SqliteFileTest.read(store, entry.getValue()))
                        .as("what %s returned is what is stored, positions included", entry.getKey())
                        .isEqualTo(outcomes.get(entry.getKey()));
            }
            // The seeded stream took "seeded-next" or not, depending on queue order against "conflict";
            // "conflict" expected a version the stream never had, so it failed either way.
            assertThat(outcomes.get("seeded-next")).isInstanceOf(List.class);
            assertThat(outcomes.get("conflict")).isInstanceOfSatisfying(StreamVersionMismatchException.class,
                    e -> assertThat(e.actualVersion()).isIn(1L, 3L));
            assertThat(SqliteFileTest.read(store, seeded)).extracting(Event::streamVersion).containsExactly(1L, 2L, 3L);
            assertThat(outcomes.get("absent")).isInstanceOfSatisfying(StreamVersionMismatchException.class,
                    e -> assertThat(e.actualVersion()).isZero());

            List<Object> contestedOutcomes = List.of(outcomes.get("contested-a"), outcomes.get("contested-b"));
            assertThat(contestedOutcomes).filteredOn(o -> o instanceof List).hasSize(1);
            assertThat(contestedOutcomes).filteredOn(o -> o instanceof StreamVersionMismatchException).singleElement()
                    .satisfies(o -> assertThat(((StreamVersionMismatchException) o).actualVersion()).isEqualTo(2));
            assertThat(SqliteFileTest.read(store, contested)).extracting(Event::streamVersion).containsExactly(1L, 2L);

            List<Event> sharedEvents = SqliteFileTest.read(store, shared);
            assertThat(sharedEvents).extracting(Event::streamVersion).containsExactly(1L, 2L, 3L, 4L, 5L);
            List<Event> both = new ArrayList<>(cast(outcomes.get("shared-a")));
            both.addAll(cast(outcomes.get("shared-b")));
            assertThat(sharedEvents).containsExactlyInAnyOrderElementsOf(both);

            GroupCommitTest.assertGlobalLogConsistent(store);
        }
    }

    @Test
    @DisplayName("a group holding a retried event ID goes append by append, where the retry returns the stored events")
    void storedIdSendsTheGroupOneByOne() throws Exception {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("retry.db"))) {
            TypeId retried = TypeId.newV4("retried");
            List<WritableEvent> original =
                    List.of(WritableEvent.of("once", new byte[] {1}).withEventId(UUID.randomUUID()));
            List<Event> stored = store.appendStream(retried, original);

            Map<String, Callable<List<Event>>> appends = new LinkedHashMap<>();
            List<TypeId> streams = new ArrayList<>();
            for (int i = 0; i < 10; i++) {
                TypeId stream = TypeId.newV4("good");
                streams.add(stream);
                appends.put("good-" + i, () -> store.appendStream(stream, events("good", 2)));
            }
            appends.put("retry", () -> store.appendStream(retried, original));

            WriterGate gate = new WriterGate(1 + appends.size());
            Map<String, Object> outcomes = runAsOneGroup(store, appends, gate);

            assertThat(gate.batches).isEmpty();
            assertThat(outcomes.get("retry")).isEqualTo(stored);
            assertThat(SqliteFileTest.read(store, retried)).isEqualTo(stored);
            for (int i = 0; i < streams.size(); i++) {
                assertThat(SqliteFileTest.read(store, streams.get(i))).isEqualTo(outcomes.get("good-" + i));
            }
            GroupCommitTest.assertGlobalLogConsistent(store);
        }
    }

    @Test
    @DisplayName("a statement failing inside the shared statements undoes them; the group goes append by append")
    void failingStatementSendsTheGroupOneByOne() throws Exception {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("refused.db"))) {
            // The store refuses beforehand whatever it can foresee; a trigger fails an INSERT it cannot.
            raiseOnInsert(store, "refused", "ABORT, 'refused by the test'");
            Map<String, Callable<List<Event>>> appends = new LinkedHashMap<>();
            List<TypeId> streams = new ArrayList<>();
            for (int i = 0; i < 40; i++) {
                TypeId stream = TypeId.newV4("good");
                streams.add(stream);
                appends.put("good-" + i, () -> store.appendStream(stream, events("good", 1)));
            }
            TypeId refusedStream = TypeId.newV4("refused");
            appends.put("refused", () -> store.appendStream(refusedStream, events("refused", 1)));

            WriterGate gate = new WriterGate(1 + appends.size());
            Map<String, Object> outcomes = runAsOneGroup(store, appends, gate);

            assertThat(gate.batches).isEmpty();
            assertThat(outcomes.get("refused")).isInstanceOfSatisfying(EventStoreException.class,
                    e -> assertThat(e).hasMessageContaining("refused by the test"));
            assertThatThrownBy(() -> SqliteFileTest.read(store, refusedStream))
                    .isInstanceOf(StreamNotFoundException.class);
            for (int i = 0; i < streams.size(); i++) {
                assertThat(outcomes.get("good-" + i)).isInstanceOf(List.class);
                assertThat(SqliteFileTest.read(store, streams.get(i))).isEqualTo(outcomes.get("good-" + i));
            }
            GroupCommitTest.assertGlobalLogConsistent(store);
        }
    }

    @Test
    @DisplayName("a statement that ends the whole transaction fails every append of the group, with SQLite's error")
    void lostTransactionFailsTheGroupWithItsCause() throws Exception {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("lost.db"))) {
            // RAISE(ROLLBACK) ends the transaction, as an I/O error or a full disk does.
            raiseOnInsert(store, "lost", "ROLLBACK, 'simulated disk full'");
            Map<String, Callable<List<Event>>> appends = new LinkedHashMap<>();
            List<TypeId> streams = new ArrayList<>();
            for (String type : List.of("good", "lost", "good")) {
                TypeId stream = TypeId.newV4(type);
                streams.add(stream);
                appends.put(type + "-" + streams.size(), () -> store.appendStream(stream, events(type, 1)));
            }
            Map<String, Object> outcomes = runAsOneGroup(store, appends, new WriterGate(1 + appends.size()), 0);

            assertThat(outcomes.values()).hasSize(3).allSatisfy(outcome -> assertThat(outcome)
                    .isInstanceOfSatisfying(EventStoreException.class, e -> assertThat(e)
                            .hasMessageContaining("simulated disk full")
                            .hasRootCauseInstanceOf(java.sql.SQLException.class)));
            for (TypeId stream : streams) {
                assertThatThrownBy(() -> SqliteFileTest.read(store, stream))
                        .isInstanceOf(StreamNotFoundException.class);
            }
            // The store goes on.
            TypeId after = TypeId.newV4("after");
            assertThat(store.appendStream(after, events("after", 1))).hasSize(1);
            GroupCommitTest.assertGlobalLogConsistent(store);
        }
    }

    /** Makes SQLite raise {@code raise} (as in {@code RAISE(ABORT, 'why')}) on inserting an event of that type. */
    private static void raiseOnInsert(SqliteEventStore store, String eventType, String raise) throws Exception {
        try (Connection raw = DriverManager.getConnection("jdbc:sqlite:" + store.file());
                Statement ddl = raw.createStatement()) {
            ddl.execute("CREATE TRIGGER raise_on_" + eventType + " BEFORE INSERT ON events WHEN NEW.event_type = '"
                    + eventType + "' BEGIN SELECT RAISE(" + raise + "); END");
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Event> cast(Object outcome) {
        assertThat(outcome).isInstanceOf(List.class);
        return (List<Event>) outcome;
    }
}
