package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code -wal} file stays bounded over a long run: reads that overlap every commit do not
 * starve the checkpoints, and a file grown while a read held an old snapshot is cut back.
 */
class LogSizeTest {

    private static final SqliteOptions SMALL_LOG = SqliteOptions.defaults().withCheckpointPages(100);

    @TempDir
    Path directory;

    @Test
    @DisplayName("reads that overlap every commit do not keep the log growing")
    void overlappingReadsDoNotStarveCheckpoints() throws Exception {
        Path file = directory.resolve("busy.db");
        try (SqliteEventStore store = SqliteEventStore.open(file, SMALL_LOG)) {
            appendSome(store, 100);
            AtomicBoolean stop = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            CountDownLatch reading = new CountDownLatch(4);
            List<Thread> readers = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                Thread reader = new Thread(() -> {
                    try {
                        reading.countDown();
                        while (!stop.get()) {
                            try (StreamIterator events = store.readAll(ReadAllOptions.after(0).count(50))) {
                                events.forEachRemaining(e -> { });
                            }
                        }
                    } catch (Throwable e) {
                        failure.set(e);
                    }
                });
                reader.start();
                readers.add(reader);
            }
            reading.await();
            long largest = 0;
            try {
                for (int i = 0; i < 1500; i++) {
                    appendSome(store, 1);
                    largest = Math.max(largest, Files.size(log(file)));
                }
            } finally {
                stop.set(true);
                for (Thread reader : readers) {
                    reader.join();
                }
            }
            assertThat(failure.get()).isNull();
            // The limit is 1 MiB here (SqliteEventStore.MIN_LOG_LIMIT_BYTES). Starved, the log grows by
            // some 40 KB per append: 60 MB.
            assertThat(largest).isLessThan(4L << 20);
        }
    }

    @Test
    @DisplayName("a log grown while an iterator held its snapshot is cut back once the iterator is closed")
    void logIsCutBackAfterALongRead() throws Exception {
        Path file = directory.resolve("pinned.db");
        try (SqliteEventStore store = SqliteEventStore.open(file, SMALL_LOG)) {
            appendSome(store, 10);
            StreamIterator pinned = store.readAll(ReadAllOptions.after(0));
            pinned.next();
            while (Files.size(log(file)) < 8L << 20) {
                appendSome(store, 1);
            }
            pinned.close();
            appendSome(store, 5);
            // Cut back to the limit, 1 MiB here (SqliteEventStore.MIN_LOG_LIMIT_BYTES).
            assertThat(Files.size(log(file))).isLessThanOrEqualTo(1L << 20);
        }
    }

    @Test
    @DisplayName("a thread that holds a read open does not make the checkpoint it runs after its own commit wait for that read")
    void aWriterHoldingAReadDoesNotWaitForItself() throws Exception {
        Path file = directory.resolve("own.db");
        try (SqliteEventStore store = SqliteEventStore.open(file, SMALL_LOG)) {
            appendSome(store, 10);
            long pausesBefore = store.readPauses();
            try (StreamIterator own = store.readAll(ReadAllOptions.after(0))) {
                own.next();
                // Past the 1 MiB limit and the retries after it: each append here is committed by
                // this thread, which would then wait up to 100 ms (new reads of every thread
                // waiting too) for a read that cannot end before it returns.
                while (Files.size(log(file)) < 4L << 20) {
                    appendSome(store, 1);
                }
                assertThat(store.readPauses() - pausesBefore).as("checkpoints that waited for this thread's own read")
                        .isZero();
            }
            appendSome(store, 1);
            // With the read closed, the next commit truncates the overgrown log at once.
            assertThat(Files.size(log(file))).isLessThanOrEqualTo(1L << 20);
        }
    }

    private static void appendSome(SqliteEventStore store, int appends) {
        for (int i = 0; i < appends; i++) {
            store.appendStream(TypeId.newV7("account"),
                    List.of(WritableEvent.json("opened", "{\"pad\":\"" + "x".repeat(2000) + "\"}")));
        }
    }

    private static Path log(Path file) {
        return file.resolveSibling(file.getFileName() + "-wal");
    }
}
