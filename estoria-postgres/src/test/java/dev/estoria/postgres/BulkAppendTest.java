package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A group committed as one statement by a store that owns its pool: every kind of expectation,
 * met and not, in one group. The appends whose expectation holds commit together; each other
 * append fails alone with the version it found, and leaves nothing behind.
 */
@Timeout(60)
class BulkAppendTest {

    private final TestDatabase db = TestDatabase.get();
    // Its own threads: an append may block in JDBC on the caller's thread, where a common-pool
    // thread would not be compensated for.
    private final java.util.concurrent.ExecutorService callers = java.util.concurrent.Executors.newCachedThreadPool();
    private PostgresEventStore store;

    @AfterEach
    void drop() {
        callers.shutdownNow();
        db.discard(store);
    }

    private static List<WritableEvent> events(String... texts) {
        List<WritableEvent> list = new ArrayList<>();
        for (String text : texts) {
            list.add(WritableEvent.of("noted", text.getBytes(StandardCharsets.UTF_8)));
        }
        return list;
    }

    @Test
    void everyExpectationIsCheckedPerAppendInsideOneGroup() throws Exception {
        store = db.newOwnedStore(PostgresOptions.defaults().withWriterLanes(1));
        TypeId blocker = TypeId.newV4("bulk");
        TypeId existingAny = TypeId.newV4("bulk");
        TypeId existingNoStream = TypeId.newV4("bulk");
        TypeId exactRight = TypeId.newV4("bulk");
        TypeId exactWrong = TypeId.newV4("bulk");
        TypeId existsRight = TypeId.newV4("bulk");
        TypeId existsAbsent = TypeId.newV4("bulk");
        TypeId newAny = TypeId.newV4("bulk");
        TypeId newNoStream = TypeId.newV4("bulk");
        for (TypeId stream : List.of(blocker, existingAny, existingNoStream, exactWrong, existsRight)) {
            store.appendStream(stream, events("first"));
        }
        store.appendStream(exactRight, events("first", "second"));

        Map<TypeId, CompletableFuture<List<Event>>> results = new LinkedHashMap<>();
        CompletableFuture<List<Event>> blocked;
        try (Connection lock = db.rawConnection()) {
            lock.setAutoCommit(false);
            // Holding the blocker's stream row keeps the lane inside its statement while the group queues.
            try (PreparedStatement s = lock.prepareStatement("SELECT 1 FROM \"" + store.options().schema()
                    + "\".streams WHERE stream_type = ? AND stream_uuid = ? FOR UPDATE")) {
                s.setString(1, blocker.type());
                s.setObject(2, blocker.uuid());
                s.executeQuery().close();
            }
            blocked = CompletableFuture.supplyAsync(() -> store.appendStream(blocker, events("blocked")), callers);
            db.awaitLockWaiter("estoria:" + store.options().schema(), "the lane, on the blocker's row lock");
            queue(results, existingAny, events("a"), AppendStreamOptions.defaults());
            queue(results, existingNoStream, events("b"), AppendStreamOptions.expectingNoStream());
            queue(results, exactRight, events("c1", "c2", "c3"), AppendStreamOptions.expectingVersion(2));
            queue(results, exactWrong, events("d"), AppendStreamOptions.expectingVersion(5));
            queue(results, existsRight, events("e"),
                    AppendStreamOptions.expectingStreamExists());
            queue(results, existsAbsent, events("f"),
                    AppendStreamOptions.expectingStreamExists());
            queue(results, newAny, events("g1", "g2"), AppendStreamOptions.defaults());
            queue(results, newNoStream, events("h"), AppendStreamOptions.expectingNoStream());
            assertThat(blocked).isNotDone();
            lock.commit();
        }
        assertThat(blocked.get(30, TimeUnit.SECONDS)).singleElement().extracting(Event::streamVersion).isEqualTo(2L);

        assertThat(versions(results.get(existingAny).get(30, TimeUnit.SECONDS))).containsExactly(2L);
        assertThat(versions(results.get(exactRight).get(30, TimeUnit.SECONDS))).containsExactly(3L, 4L, 5L);
        assertThat(versions(results.get(existsRight).get(30, TimeUnit.SECONDS))).containsExactly(2L);
        assertThat(versions(results.get(newAny).get(30, TimeUnit.SECONDS))).containsExactly(1L, 2L);
        assertThat(versions(results.get(newNoStream).get(30, TimeUnit.SECONDS))).containsExactly(1L);
        assertMismatch(results.get(existingNoStream), 1);
        assertMismatch(results.get(exactWrong), 1);
        assertMismatch(results.get(existsAbsent), 0);

        // What each append returned is what is stored, and the refused appends left nothing.
        List<Event> committed = new ArrayList<>();
        for (TypeId stream : List.of(existingAny, exactRight, existsRight, newAny, newNoStream)) {
            List<Event> returned = results.get(stream).get();
            List<Event> stored = store.readStream(stream, ReadStreamOptions.defaults()).toList();
            assertThat(stored.subList(stored.size() - returned.size(), stored.size())).isEqualTo(returned);
            committed.addAll(returned);
        }
        assertThat(store.readStream(existingNoStream, ReadStreamOptions.defaults()).toList()).hasSize(1);
        assertThat(store.readStream(exactWrong, ReadStreamOptions.defaults()).toList()).hasSize(1);
        assertThatThrownBy(() -> store.readStream(existsAbsent, ReadStreamOptions.defaults()))
                .isInstanceOf(StreamNotFoundException.class);

        assertThat(store.bulkFallbacks()).as("no group fell back to savepoints").isZero();
        assertThat(store.bulkGroups()).as("setup appends, the blocker (on its caller's thread), the group").isEqualTo(8);

        // The group's events share one transaction, positioned in queue order.
        List<Long> positions = committed.stream().map(e -> e.globalPosition().orElseThrow()).toList();
        assertThat(positions).isSorted().doesNotHaveDuplicates();
        assertThat(positions.stream().map(p -> p >> Schema.INDEX_BITS).distinct()).hasSize(1);
        assertThat(store.readAll(dev.estoria.eventstore.ReadAllOptions.defaults()).toList()
                .stream().filter(committed::contains).toList()).isEqualTo(committed);
    }

    @Test
    void aLoneAppendCommitsOnItsCallersThreadWhenTheStoreOwnsItsPool() {
        store = db.newOwnedStore(PostgresOptions.defaults());
        java.util.concurrent.atomic.AtomicReference<Thread> ran = new java.util.concurrent.atomic.AtomicReference<>();
        store.setAppendHook((stream, written) -> ran.set(Thread.currentThread()));
        store.appendStream(TypeId.newV4("bulk"), events("alone"));
        assertThat(ran.get()).isSameAs(Thread.currentThread());
    }

    @Test
    void withACallersPoolEveryAppendCommitsOnALaneThread() {
        // A caller's pool may have no socket timeout: the lane's bounded wait is what keeps a call from hanging.
        store = db.newStore(PostgresOptions.defaults());
        java.util.concurrent.atomic.AtomicReference<Thread> ran = new java.util.concurrent.atomic.AtomicReference<>();
        store.setAppendHook((stream, written) -> ran.set(Thread.currentThread()));
        store.appendStream(TypeId.newV4("bulk"), events("alone"));
        assertThat(ran.get()).isNotSameAs(Thread.currentThread());
        assertThat(ran.get().getName()).startsWith("estoria-writer-");
    }

    private void queue(Map<TypeId, CompletableFuture<List<Event>>> results, TypeId stream, List<WritableEvent> events,
            AppendStreamOptions options) {
        results.put(stream, CompletableFuture.supplyAsync(() -> store.appendStream(stream, events, options), callers));
        awaitQueued(results.size());
    }

    private static List<Long> versions(List<Event> events) {
        return events.stream().map(Event::streamVersion).toList();
    }

    private static void assertMismatch(CompletableFuture<List<Event>> result, long actual) {
        assertThatThrownBy(() -> result.get(30, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(StreamVersionMismatchException.class,
                        e -> assertThat(e.actualVersion()).isEqualTo(actual));
    }

    private void awaitQueued(int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        // The count may lag for a moment while the lane takes an append, never run ahead.
        while (store.queuedAppends() < n) {
            assertThat(System.nanoTime()).as("%d appends queued", n).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }
}
