package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An iterator dropped without being drained or closed gives its read connection back once it is
 * garbage-collected, so it does not keep its snapshot, and the log, pinned while the store is open.
 */
class DroppedIteratorTest {

    @TempDir
    Path directory;
    /** The dropped iterator, kept reachable until the test has seen its read open, then let go. */
    private final List<StreamIterator> held = new ArrayList<>();

    @Test
    void anIteratorDroppedUnclosedEndsItsReadOnceCollected() throws Exception {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("dropped.db"))) {
            TypeId stream = TypeId.newV7("account");
            store.appendStream(stream, List.of(WritableEvent.of("opened", new byte[] {1}),
                    WritableEvent.of("deposited", new byte[] {2}), WritableEvent.of("deposited", new byte[] {3})));
            readOneAndDrop(store, stream);
            assertThat(store.holdsRead(Thread.currentThread())).as("the dropped iterator's read is open").isTrue();
            held.clear();

            long deadline = System.nanoTime() + 30_000_000_000L;
            while (store.holdsRead(Thread.currentThread())) {
                assertThat(System.nanoTime() - deadline).as("the read ended within 30 s of collections").isNegative();
                System.gc();
                Thread.sleep(10); // polling an outcome of the collector, not ordering threads
            }
            // The connection went back in a usable state: reads and appends go on.
            try (StreamIterator events = store.readStream(stream, ReadStreamOptions.defaults())) {
                assertThat(events.toList()).hasSize(3);
            }
            store.appendStream(stream, List.of(WritableEvent.of("deposited", new byte[] {4})));
            assertThat(store.holdsRead(Thread.currentThread())).isFalse();
        }
    }

    /**
     * Reads one event and drops the iterator but for {@link #held}; in a method of its own, so no
     * local keeps it reachable.
     */
    private void readOneAndDrop(SqliteEventStore store, TypeId stream) {
        StreamIterator events = store.readStream(stream, ReadStreamOptions.defaults());
        assertThat(events.next().streamVersion()).isEqualTo(1);
        held.add(events);
    }
}
