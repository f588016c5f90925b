package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

/** Global positions: never reused, and a read never sees a later position while an earlier one is unresolved. */
@Timeout(60)
class GlobalOrderTest {

    @TempDir
    Path directory;

    private final ExecutorService pool = Executors.newCachedThreadPool();

    @AfterEach
    void stopPool() {
        pool.shutdownNow();
    }

    @Test
    @DisplayName("positions of deleted events are never handed out again, also after reopening")
    void positionsNeverReused() {
        Path file = directory.resolve("positions.db");
        TypeId deleted = TypeId.newV4("deleted");
        TypeId fresh = TypeId.newV4("fresh");
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            List<Event> first = store.appendStream(deleted, SqliteFileTest.events(3));
            assertThat(positions(first)).containsExactly(1L, 2L, 3L);
            store.deleteStream(deleted);
            List<Event> next = store.appendStream(fresh, SqliteFileTest.events(2));
            assertThat(positions(next)).containsExactly(4L, 5L);
            try (StreamIterator resumed = store.readAll(ReadAllOptions.after(3))) {
                assertThat(resumed.toList()).isEqualTo(next);
            }
            store.deleteStream(fresh);
            // The reused stream ID restarts at version 1 but not at an old position.
            List<Event> reused = store.appendStream(deleted, SqliteFileTest.events(1));
            assertThat(reused.get(0).streamVersion()).isEqualTo(1);
            assertThat(reused.get(0).globalPosition()).hasValue(6);
            store.deleteStream(deleted);
        }
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            assertThat(positions(store.appendStream(fresh, SqliteFileTest.events(1)))).containsExactly(7L);
        }
    }

    @Test
    @DisplayName("truncation keeps the positions of the events it leaves")
    void truncationKeepsPositions() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("truncate.db"))) {
            TypeId stream = TypeId.newV4("s");
            List<Event> written = store.appendStream(stream, SqliteFileTest.events(5));
            store.deleteStream(stream, DeleteStreamOptions.truncateTo(2));
            assertThat(SqliteFileTest.read(store, stream)).isEqualTo(written.subList(2, 5));
            assertThat(positions(store.appendStream(stream, SqliteFileTest.events(1)))).containsExactly(6L);
        }
    }

    @Test
    @DisplayName("stable prefix: while a transaction holds assigned positions, no read yields anything after them")
    void stablePrefix() throws Exception {
        Path file = directory.resolve("prefix.db");
        try (SqliteEventStore store = SqliteEventStore.open(file);
                SqliteEventStore other = SqliteEventStore.open(file)) {
            Event seed = store.appendStream(TypeId.newV4("seed"), SqliteFileTest.events(1)).get(0);

            // Positions 2 and 3 are assigned in the held transaction, not yet committed. The gate
            // counts that append and the two that queue behind it, one of them on the other store.
            WriterGate gate = new WriterGate(3);
            store.setWriterHooks(gate);
            other.setWriterHooks(new GroupCommitWriter.Hooks() {
                @Override
                public void enqueued() {
                    gate.queued.countDown();
                }
            });

            // A reader polling the global log throughout; every read must be a prefix of the final log.
            AtomicBoolean stop = new AtomicBoolean();
            Future<List<List<Event>>> poller = pool.submit(() -> {
                List<List<Event>> seen = new ArrayList<>();
                while (!stop.get()) {
                    try (StreamIterator it = store.readAll()) {
                        seen.add(it.toList());
                    }
                }
                return seen;
            });

            TypeId held1 = TypeId.newV4("held");
            Future<List<Event>> heldAppend = pool.submit(() -> store.appendStream(held1, SqliteFileTest.events(2)));
            assertThat(gate.held.await(30, TimeUnit.SECONDS)).isTrue();
            // Queued behind the open transaction: one on the same store, one on a second store on the
            // same file (which waits for SQLite's write lock).
            Future<List<Event>> sameStore = pool.submit(() -> store.appendStream(TypeId.newV4("behind"), SqliteFileTest.events(1)));
            Future<List<Event>> otherStore = pool.submit(() -> other.appendStream(TypeId.newV4("other"), SqliteFileTest.events(1)));
            assertThat(gate.queued.await(30, TimeUnit.SECONDS)).isTrue();
            for (int i = 0; i < 20; i++) {
                try (StreamIterator it = store.readAll(); StreamIterator viaOther = other.readAll()) {
                    assertThat(it.toList()).containsExactly(seed);
                    assertThat(viaOther.toList()).containsExactly(seed);
                }
            }
            assertThat(heldAppend.isDone() || sameStore.isDone() || otherStore.isDone()).isFalse();
            gate.release.countDown();

            List<Event> heldEvents = heldAppend.get();
            assertThat(positions(heldEvents)).containsExactly(2L, 3L);
            long behind = sameStore.get().get(0).globalPosition().orElseThrow();
            long viaOther = otherStore.get().get(0).globalPosition().orElseThrow();
            assertThat(behind).isGreaterThan(3);
            assertThat(viaOther).isGreaterThan(3);
            stop.set(true);
            List<List<Event>> seen = poller.get();

            List<Event> log;
            try (StreamIterator it = store.readAll()) {
                log = it.toList();
            }
            assertThat(log).hasSize(5);
            assertThat(seen).isNotEmpty();
            for (List<Event> read : seen) {
                assertThat(read).as("a concurrent read must be a prefix of the final log")
                        .isEqualTo(log.subList(0, read.size()));
            }
            GroupCommitTest.assertGlobalLogConsistent(store);
        }
    }

    private static List<Long> positions(List<Event> events) {
        return events.stream().map(e -> e.globalPosition().orElseThrow()).toList();
    }

    static List<WritableEvent> events(int n) {
        return SqliteFileTest.events(n);
    }
}
