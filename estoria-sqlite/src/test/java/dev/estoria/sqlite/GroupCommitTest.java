package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DuplicateEventIdException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.sqlite.SqliteOptions.Durability;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Appends arriving together share one transaction; a bad one fails alone; close fails what is queued. */
@Timeout(60)
class GroupCommitTest {

    @TempDir
    Path directory;

    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new AssertionError("timed out waiting for a latch");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static List<WritableEvent> events(String type, int n) {
        List<WritableEvent> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(WritableEvent.of(type, new byte[] {(byte) i}));
        }
        return list;
    }

    @Test
    @DisplayName("appends queued together commit in one transaction; bad ones fail alone; later ones see earlier ones")
    void queuedAppendsShareOneCommit() throws Exception {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("group.db"))) {
            TypeId seeded = TypeId.newV4("seeded");
            UUID storedId = UUID.randomUUID();
            store.appendStream(seeded, List.of(WritableEvent.of("seed", new byte[0]).withEventId(storedId)));
            long commitsBefore = store.commitCount();

            Map<String, Callable<List<Event>>> appends = new HashMap<>();
            List<TypeId> goodStreams = new ArrayList<>();
            for (int i = 0; i < 30; i++) {
                TypeId stream = TypeId.newV4("good");
                goodStreams.add(stream);
                appends.put("good-" + i, () -> store.appendStream(stream, events("good", 3)));
            }
            // A version conflict and a duplicate of a stored ID: each fails alone.
            appends.put("conflict", () -> store.appendStream(seeded, events("late", 1), AppendStreamOptions.expectingVersion(5)));
            appends.put("duplicate", () -> store.appendStream(TypeId.newV4("dup"),
                    List.of(WritableEvent.of("dup", new byte[0]).withEventId(storedId))));
            // Two appends racing for version 0 of one stream inside the group: the second sees the first.
            TypeId contested = TypeId.newV4("contested");
            appends.put("contested-a", () -> store.appendStream(contested, events("a", 2), AppendStreamOptions.expectingNoStream()));
            appends.put("contested-b", () -> store.appendStream(contested, events("b", 2), AppendStreamOptions.expectingNoStream()));
            // Two appends to one stream with no expectation: both land, gapless.
            TypeId shared = TypeId.newV4("shared");
            appends.put("shared-a", () -> store.appendStream(shared, events("a", 2)));
            appends.put("shared-b", () -> store.appendStream(shared, events("b", 3)));
            // One new ID claimed by two appends to different streams in the same group: one wins.
            UUID claimed = UUID.randomUUID();
            appends.put("claim-a", () -> store.appendStream(TypeId.newV4("claim"),
                    List.of(WritableEvent.of("claim", new byte[0]).withEventId(claimed))));
            appends.put("claim-b", () -> store.appendStream(TypeId.newV4("claim"),
                    List.of(WritableEvent.of("claim", new byte[0]).withEventId(claimed))));

            WriterGate gate = new WriterGate(1 + appends.size());
            store.setWriterHooks(gate);
            Future<List<Event>> blocker = pool.submit(() -> store.appendStream(TypeId.newV4("blocker"), events("b", 1)));
            await(gate.held);
            Map<String, Future<List<Event>>> futures = new HashMap<>();
            appends.forEach((name, call) -> futures.put(name, pool.submit(call)));
            await(gate.queued);
            gate.release.countDown();

            assertThat(blocker.get()).hasSize(1);
            Map<String, Object> outcomes = new HashMap<>();
            for (var entry : futures.entrySet()) {
                try {
                    outcomes.put(entry.getKey(), entry.getValue().get());
                } catch (ExecutionException e) {
                    outcomes.put(entry.getKey(), e.getCause());
                }
            }
            assertThat(store.commitCount() - commitsBefore)
                    .as("%d appends committed in the blocker's transaction plus one for everything queued behind it",
                            1 + appends.size())
                    .isEqualTo(2);

            for (int i = 0; i < goodStreams.size(); i++) {
                assertThat(outcomes.get("good-" + i)).isInstanceOf(List.class);
                assertThat(SqliteFileTest.read(store, goodStreams.get(i))).isEqualTo(outcomes.get("good-" + i));
            }
            assertThat(outcomes.get("conflict")).isInstanceOfSatisfying(StreamVersionMismatchException.class,
                    e -> assertThat(e.actualVersion()).isEqualTo(1));
            assertThat(outcomes.get("duplicate")).isInstanceOf(DuplicateEventIdException.class);
            assertThat(SqliteFileTest.read(store, seeded)).hasSize(1);

            List<Object> contestedOutcomes = List.of(outcomes.get("contested-a"), outcomes.get("contested-b"));
            assertThat(contestedOutcomes).filteredOn(o -> o instanceof List).hasSize(1);
            assertThat(contestedOutcomes).filteredOn(o -> o instanceof StreamVersionMismatchException).singleElement()
                    .satisfies(o -> assertThat(((StreamVersionMismatchException) o).actualVersion())
                            .as("the loser saw the winner's append in the same transaction").isEqualTo(2));
            assertThat(SqliteFileTest.read(store, contested)).extracting(Event::streamVersion).containsExactly(1L, 2L);

            List<Event> sharedEvents = SqliteFileTest.read(store, shared);
            assertThat(sharedEvents).extracting(Event::streamVersion).containsExactly(1L, 2L, 3L, 4L, 5L);
            List<Event> both = new ArrayList<>(castEvents(outcomes.get("shared-a")));
            both.addAll(castEvents(outcomes.get("shared-b")));
            assertThat(sharedEvents).containsExactlyInAnyOrderElementsOf(both);

            List<Object> claims = List.of(outcomes.get("claim-a"), outcomes.get("claim-b"));
            assertThat(claims).filteredOn(o -> o instanceof List).hasSize(1);
            assertThat(claims).filteredOn(o -> o instanceof DuplicateEventIdException).hasSize(1);

            assertGlobalLogConsistent(store);
        }
    }

    @SuppressWarnings("unchecked")
    private static List<Event> castEvents(Object outcome) {
        assertThat(outcome).isInstanceOf(List.class);
        return (List<Event>) outcome;
    }

    @Test
    @DisplayName("a failed commit fails every append of its group and writes none of them; the store goes on")
    void failedCommitFailsTheGroup() throws Exception {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("failing.db"))) {
            WriterGate gate = new WriterGate(6);
            java.util.concurrent.atomic.AtomicInteger commits = new java.util.concurrent.atomic.AtomicInteger();
            store.setWriterHooks(new GroupCommitWriter.Hooks() {
                @Override
                public void enqueued() {
                    gate.enqueued();
                }

                @Override
                public void beforeCommit(int items) {
                    gate.beforeCommit(items);
                    // The second group, the five queued behind the blocker, fails at its commit.
                    if (commits.incrementAndGet() == 2) {
                        assertThat(items).isEqualTo(5);
                        throw new IllegalStateException("simulated commit failure");
                    }
                }
            });
            TypeId blockerStream = TypeId.newV4("blocker");
            Future<List<Event>> blocker = pool.submit(() -> store.appendStream(blockerStream, events("b", 1)));
            await(gate.held);
            List<TypeId> streams = new ArrayList<>();
            List<Future<List<Event>>> group = new ArrayList<>();
            for (int i = 0; i < 5; i++) {
                TypeId stream = TypeId.newV4("s");
                streams.add(stream);
                group.add(pool.submit(() -> store.appendStream(stream, events("e", 2))));
            }
            await(gate.queued);
            gate.release.countDown();

            assertThat(blocker.get()).hasSize(1);
            for (Future<List<Event>> f : group) {
                assertThatThrownBy(f::get).cause()
                        .isInstanceOf(EventStoreException.class)
                        .hasMessageContaining("commit")
                        .hasMessageContaining("may or may not");
            }
            for (TypeId stream : streams) {
                assertThatThrownBy(() -> SqliteFileTest.read(store, stream))
                        .isInstanceOf(StreamNotFoundException.class);
            }
            TypeId after = TypeId.newV4("after");
            assertThat(store.appendStream(after, events("e", 1))).hasSize(1);
            try (StreamIterator all = store.readAll()) {
                assertThat(all.toList()).extracting(Event::streamId).containsExactly(blockerStream, after);
            }
        }
    }

    @Test
    @DisplayName("many threads appending freely: all land, in fewer transactions than appends")
    void freeRunningConcurrency() throws Exception {
        int threads = 8;
        int perThread = 40;
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("free.db"),
                SqliteOptions.defaults().withDurability(Durability.FULL))) {
            List<TypeId> streams = List.of(TypeId.newV4("s"), TypeId.newV4("s"), TypeId.newV4("s"));
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<List<Event>>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    List<Event> mine = new ArrayList<>();
                    for (int i = 0; i < perThread; i++) {
                        mine.addAll(store.appendStream(streams.get((thread + i) % streams.size()), events("e", 2)));
                    }
                    return mine;
                }));
            }
            List<Event> written = new ArrayList<>();
            for (Future<List<Event>> f : futures) {
                written.addAll(f.get());
            }
            long appends = (long) threads * perThread;
            assertThat(written).hasSize((int) appends * 2);
            assertThat(store.commitCount()).isLessThanOrEqualTo(appends);
            System.out.printf("group commit: %d appends from %d threads in %d transactions%n",
                    appends, threads, store.commitCount());
            assertGlobalLogConsistent(store);
            try (StreamIterator all = store.readAll()) {
                assertThat(all.toList()).containsExactlyInAnyOrderElementsOf(written);
            }
        }
    }

    @Test
    @DisplayName("close lets the group in progress commit, fails queued appends clearly, and refuses later calls")
    void closeFailsQueuedWork() throws Exception {
        SqliteEventStore store = SqliteEventStore.open(directory.resolve("close.db"));
        WriterGate gate = new WriterGate(2);
        store.setWriterHooks(gate);
        TypeId inFlightStream = TypeId.newV4("inflight");
        Future<List<Event>> inFlight = pool.submit(() -> store.appendStream(inFlightStream, events("e", 2)));
        await(gate.held);
        Future<List<Event>> queued = pool.submit(() -> store.appendStream(TypeId.newV4("queued"), events("e", 1)));
        await(gate.queued);
        Future<?> closing = pool.submit(store::close);
        await(gate.closing);
        assertThatThrownBy(() -> store.appendStream(TypeId.newV4("late"), events("e", 1)))
                .isInstanceOf(EventStoreException.class).hasMessageContaining("closed");
        gate.release.countDown();
        closing.get();

        assertThat(inFlight.get()).hasSize(2);
        assertThatThrownBy(queued::get).cause()
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("closed")
                .hasMessageContaining("not made");
        assertThatThrownBy(() -> store.readStream(inFlightStream)).isInstanceOf(EventStoreException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(store::listStreams).isInstanceOf(EventStoreException.class);
        assertThatThrownBy(() -> store.deleteStream(inFlightStream)).isInstanceOf(EventStoreException.class);
        store.close();

        try (SqliteEventStore reopened = SqliteEventStore.open(directory.resolve("close.db"))) {
            assertThat(SqliteFileTest.read(reopened, inFlightStream)).isEqualTo(inFlight.get());
            assertThat(reopened.listStreams()).hasSize(1);
        }
    }

    @Test
    @DisplayName("when SQLite ends the shared transaction, every append of the group fails and none is written")
    void lostTransactionFailsTheGroup() throws Exception {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("lost.db"))) {
            java.util.concurrent.Semaphore enqueued = new java.util.concurrent.Semaphore(0);
            CountDownLatch held = new CountDownLatch(1);
            CountDownLatch release = new CountDownLatch(1);
            AtomicBoolean first = new AtomicBoolean(true);
            store.setWriterHooks(new GroupCommitWriter.Hooks() {
                @Override
                public void enqueued() {
                    enqueued.release();
                }

                @Override
                public void beforeCommit(int items) {
                    if (first.getAndSet(false)) {
                        held.countDown();
                        await(release);
                    }
                }
            });
            Future<List<Event>> blocker = pool.submit(() -> store.appendStream(TypeId.newV4("blocker"), events("b", 1)));
            await(held);
            enqueued.acquire();
            // Queued in this order behind the blocker: a good append, a bad append, a write whose
            // failure ends the whole transaction (as an I/O error or a full disk can), a good append.
            TypeId before = TypeId.newV4("before");
            Future<List<Event>> good1 = pool.submit(() -> store.appendStream(before, events("e", 2)));
            assertThat(enqueued.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
            Future<List<Event>> conflict = pool.submit(() -> store.appendStream(TypeId.newV4("x"), events("e", 1),
                    AppendStreamOptions.expectingStreamExists()));
            assertThat(enqueued.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
            Future<Object> saboteur = pool.submit(() -> store.onWriter(connection -> {
                try (var statement = connection.createStatement()) {
                    statement.execute("ROLLBACK");
                }
                throw new java.sql.SQLException("simulated disk I/O error");
            }));
            assertThat(enqueued.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
            TypeId after = TypeId.newV4("after");
            Future<List<Event>> good2 = pool.submit(() -> store.appendStream(after, events("e", 2)));
            assertThat(enqueued.tryAcquire(30, TimeUnit.SECONDS)).isTrue();
            long commits = store.commitCount();
            release.countDown();

            assertThat(blocker.get()).hasSize(1);
            assertThatThrownBy(saboteur::get).cause().isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("simulated disk I/O error");
            for (Future<List<Event>> f : List.of(good1, good2)) {
                assertThatThrownBy(f::get).cause().isInstanceOf(EventStoreException.class)
                        .hasMessageContaining("was not made").hasMessageContaining("simulated disk I/O error");
            }
            // The conflict had failed on its own before the transaction was lost, and says so.
            assertThatThrownBy(conflict::get).cause().isInstanceOf(StreamVersionMismatchException.class);
            assertThatThrownBy(() -> SqliteFileTest.read(store, before)).isInstanceOf(StreamNotFoundException.class);
            assertThatThrownBy(() -> SqliteFileTest.read(store, after)).isInstanceOf(StreamNotFoundException.class);
            assertThat(store.commitCount()).as("only the blocker's transaction committed").isEqualTo(commits + 1);
            assertThat(store.appendStream(after, events("e", 1)).get(0).streamVersion()).isEqualTo(1);
            assertGlobalLogConsistent(store);
        }
    }

    @Test
    @DisplayName("an interrupted appender still learns the outcome of its append, and stays interrupted")
    void interruptedAppenderGetsOutcome() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("interrupt.db"))) {
            TypeId stream = TypeId.newV4("s");
            Thread.currentThread().interrupt();
            List<Event> written;
            try {
                written = store.appendStream(stream, events("e", 2));
            } finally {
                assertThat(Thread.interrupted()).as("interrupt status kept").isTrue();
            }
            assertThat(SqliteFileTest.read(store, stream)).isEqualTo(written);
        }
    }

    @Test
    @DisplayName("a lone append fails alone without a savepoint: nothing it wrote stays, nothing commits, the store goes on")
    void groupOfOneFailureWritesNothing() throws Exception {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("one.db"))) {
            TypeId stream = TypeId.newV4("s");
            store.appendStream(stream, events("e", 1));
            long commits = store.commitCount();

            assertThatThrownBy(() -> store.appendStream(stream, events("late", 2), AppendStreamOptions.expectingVersion(7)))
                    .isInstanceOf(StreamVersionMismatchException.class);
            // Work that writes and then fails: its write must be rolled back with the transaction.
            TypeId half = TypeId.newV4("half");
            assertThatThrownBy(() -> store.onWriter(connection -> {
                try (var insert = connection.prepareStatement("INSERT INTO streams (stream_id, version) VALUES (?, 1)")) {
                    insert.setString(1, half.toString());
                    insert.executeUpdate();
                }
                throw new java.sql.SQLException("simulated failure after a write");
            })).isInstanceOf(EventStoreException.class).hasMessageContaining("simulated failure after a write");

            assertThat(store.commitCount()).isEqualTo(commits);
            assertThat(SqliteFileTest.read(store, stream)).hasSize(1);
            assertThatThrownBy(() -> SqliteFileTest.read(store, half)).isInstanceOf(StreamNotFoundException.class);
            assertThat(store.appendStream(half, events("e", 1)).get(0).streamVersion()).isEqualTo(1);
            assertThat(store.appendStream(stream, events("e", 1)).get(0).streamVersion()).isEqualTo(2);
            assertGlobalLogConsistent(store);
        }
    }

    @Test
    @DisplayName("a caller finding the connection free commits on its own thread, completing work queued before its own")
    void leaderCompletesQueuedWork() throws Exception {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("leader.db"))) {
            Thread loneWriter = store.onWriter(connection -> Thread.currentThread());
            assertThat(loneWriter).as("a lone write runs on the caller's thread").isSameAs(Thread.currentThread());

            // The first appender is held after queueing its append and before trying to lead; the
            // second finds the connection free and commits both in one transaction.
            CountDownLatch firstQueued = new CountDownLatch(1);
            CountDownLatch secondDone = new CountDownLatch(1);
            List<Thread> committers = new java.util.concurrent.CopyOnWriteArrayList<>();
            List<Integer> groupSizes = new java.util.concurrent.CopyOnWriteArrayList<>();
            store.setWriterHooks(new GroupCommitWriter.Hooks() {
                @Override
                public void enqueued() {
                    if (Thread.currentThread().getName().equals("first")) {
                        firstQueued.countDown();
                        await(secondDone);
                    }
                }

                @Override
                public void beforeCommit(int items) {
                    committers.add(Thread.currentThread());
                    groupSizes.add(items);
                }
            });
            TypeId firstStream = TypeId.newV4("first");
            TypeId secondStream = TypeId.newV4("second");
            java.util.concurrent.CompletableFuture<List<Event>> first = new java.util.concurrent.CompletableFuture<>();
            Thread firstThread = new Thread(() -> {
                try {
                    first.complete(store.appendStream(firstStream, events("e", 2)));
                } catch (Throwable e) {
                    first.completeExceptionally(e);
                }
            }, "first");
            firstThread.start();
            await(firstQueued);
            long commits = store.commitCount();
            List<Event> second;
            try {
                second = store.appendStream(secondStream, events("e", 1));
            } finally {
                secondDone.countDown();
            }
            assertThat(first.get(30, TimeUnit.SECONDS)).hasSize(2);
            firstThread.join();

            assertThat(store.commitCount() - commits).isEqualTo(1);
            assertThat(committers).containsExactly(Thread.currentThread());
            assertThat(groupSizes).containsExactly(2);
            assertThat(first.get().get(0).globalPosition().orElseThrow())
                    .as("queue order: the first append was applied first")
                    .isLessThan(second.get(0).globalPosition().orElseThrow());
            assertThat(SqliteFileTest.read(store, firstStream)).isEqualTo(first.get());
            assertThat(SqliteFileTest.read(store, secondStream)).isEqualTo(second);
        }
    }

    @Test
    @DisplayName("caller transactions and interrupted callers' writes run on the writer thread")
    void aloneAndInterruptedWorkRunOnTheWriterThread() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("writer.db"))) {
            Thread alone = store.inWriteTransaction(connection -> Thread.currentThread());
            assertThat(alone).isNotSameAs(Thread.currentThread());
            assertThat(alone.getName()).startsWith("estoria-sqlite-writer");

            Thread.currentThread().interrupt();
            Thread interrupted;
            try {
                interrupted = store.onWriter(connection -> Thread.currentThread());
            } finally {
                assertThat(Thread.interrupted()).as("interrupt status kept").isTrue();
            }
            assertThat(interrupted).isSameAs(alone);
        }
    }

    /** Positions strictly increase and every stream's versions run 1..tip without gaps. */
    static void assertGlobalLogConsistent(SqliteEventStore store) {
        List<Event> all;
        try (StreamIterator it = store.readAll()) {
            all = it.toList();
        }
        long previous = 0;
        Map<TypeId, Long> lastVersion = new HashMap<>();
        for (Event e : all) {
            long position = e.globalPosition().orElseThrow();
            assertThat(position).isGreaterThan(previous);
            previous = position;
            long expected = lastVersion.getOrDefault(e.streamId(), 0L) + 1;
            assertThat(e.streamVersion()).as("version of %s", e).isEqualTo(expected);
            lastVersion.put(e.streamId(), expected);
        }
    }

    @Test
    @DisplayName("work that writes and then fails inside a shared group is rolled back to its savepoint; the others commit")
    void failedWorkInAGroupLeavesNothing() throws Exception {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("savepoint.db"))) {
            WriterGate gate = new WriterGate(3);
            store.setWriterHooks(gate);
            Future<List<Event>> blocker = pool.submit(() -> store.appendStream(TypeId.newV4("blocker"), events("b", 1)));
            await(gate.held);
            TypeId half = TypeId.newV4("half");
            Future<Object> failing = pool.submit(() -> store.onWriter(connection -> {
                try (var insert = connection.prepareStatement("INSERT INTO streams (stream_id, version) VALUES (?, 1)")) {
                    insert.setString(1, half.toString());
                    insert.executeUpdate();
                }
                throw new java.sql.SQLException("simulated failure after a write");
            }));
            TypeId good = TypeId.newV4("good");
            Future<List<Event>> goodAppend = pool.submit(() -> store.appendStream(good, events("g", 1)));
            await(gate.queued);
            gate.release.countDown();
            assertThat(blocker.get()).hasSize(1);
            assertThatThrownBy(failing::get).cause().isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("simulated failure after a write");
            assertThat(SqliteFileTest.read(store, good)).isEqualTo(goodAppend.get());
            assertThatThrownBy(() -> SqliteFileTest.read(store, half)).isInstanceOf(StreamNotFoundException.class);
        }
    }
}
