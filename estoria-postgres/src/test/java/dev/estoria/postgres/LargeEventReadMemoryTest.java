package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reads fetch by bytes, not only by rows: a child JVM whose heap holds a few dozen large events
 * reads a stream and the global log of 1 MiB events far larger than its heap, both through a
 * stream read's first statement and through the cursor, and reads where hundreds of small events
 * come before the large ones.
 */
class LargeEventReadMemoryTest {

    static final int EVENTS = 160;
    static final int SIZE = 1 << 20;
    static final int MIXED_SMALL = 300;
    static final int MIXED_LARGE = 150;

    @TempDir
    Path directory;

    @Test
    void readsOfLargeEventsRunInAHeapSmallerThanOneFetchOfThem() throws Exception {
        TestDatabase db = TestDatabase.get();
        PostgresEventStore store = db.newStore();
        try {
            // One stream of small events followed by large ones: a fetch sized for the small ones
            // would bring many large ones at once.
            TypeId mixed = TypeId.newV4("mixed");
            List<WritableEvent> mixedSmalls = new ArrayList<>();
            for (int i = 0; i < MIXED_SMALL; i++) {
                mixedSmalls.add(WritableEvent.of("noted", new byte[16]));
            }
            long beforeMixed = store.appendStream(mixed, mixedSmalls).get(0).globalPosition().orElseThrow() - 1;
            byte[] mixedPayload = new byte[SIZE];
            for (int a = 0; a < MIXED_LARGE / 10; a++) {
                List<WritableEvent> batch = new ArrayList<>();
                for (int i = 0; i < 10; i++) {
                    batch.add(WritableEvent.of("filled", mixedPayload).withMetadata("n", Integer.toString(i)));
                }
                store.appendStream(mixed, batch);
            }
            // Small events first: a long read of them must not leave later reads fetching many rows.
            TypeId small = TypeId.newV4("small");
            List<WritableEvent> smalls = new ArrayList<>();
            for (int i = 0; i < 600; i++) {
                smalls.add(WritableEvent.of("noted", new byte[16]));
            }
            long afterSmall = store.appendStream(small, smalls).get(599).globalPosition().orElseThrow();
            TypeId stream = TypeId.newV4("big");
            byte[] payload = new byte[SIZE];
            for (int a = 0; a < EVENTS / 8; a++) {
                List<WritableEvent> batch = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    payload[0] = (byte) (a * 8 + i);
                    batch.add(WritableEvent.of("filled", payload));
                }
                store.appendStream(stream, batch);
            }
            Path stderr = directory.resolve("reader.err");
            String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
            Process child = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-Xmx64m",
                    "-XX:+UseSerialGC", "-cp", System.getProperty("java.class.path"), Reader.class.getName(),
                    db.jdbcUrl, store.options().schema(), stream.toString(), small.toString(), Long.toString(afterSmall),
                    mixed.toString(), Long.toString(beforeMixed))
                    .redirectError(stderr.toFile()).start();
            String result;
            try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(),
                    StandardCharsets.UTF_8))) {
                result = out.readLine();
            }
            assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).as("reader exit; stderr:%n%s", Files.readString(stderr)).isZero();
            long bytes = (long) EVENTS * SIZE;
            long mixedBytes = MIXED_SMALL * 16L + (long) MIXED_LARGE * SIZE;
            assertThat(result).isEqualTo("OK " + EVENTS + " " + bytes + " " + EVENTS + " " + bytes + " 100 "
                    + 100L * SIZE + " " + bytes + " " + (MIXED_SMALL + MIXED_LARGE) + " " + mixedBytes + " "
                    + (MIXED_SMALL + MIXED_LARGE + 600 + EVENTS) + " " + (mixedBytes + 600 * 16L + bytes));
        } finally {
            db.discard(store);
        }
    }

    @Test
    void readsCutByBytesReturnEveryEventInOrder() {
        TestDatabase db = TestDatabase.get();
        PostgresEventStore store = db.newStore();
        try {
            TypeId stream = TypeId.newV4("big");
            int size = 300 * 1024;
            List<WritableEvent> batch = new ArrayList<>();
            for (int i = 1; i <= 40; i++) {
                byte[] payload = new byte[size];
                payload[0] = (byte) i;
                batch.add(WritableEvent.of("filled", payload).withMetadata("n", Integer.toString(i)));
            }
            store.appendStream(stream, batch);
            assertThat(versions(store.readStream(stream, ReadStreamOptions.defaults())))
                    .containsExactlyElementsOf(range(1, 40));
            assertThat(versions(store.readStream(stream, ReadStreamOptions.defaults().afterVersion(3).count(35))))
                    .containsExactlyElementsOf(range(4, 38));
            assertThat(versions(store.readStream(stream, ReadStreamOptions.reverse())))
                    .containsExactlyElementsOf(range(40, 1));
            assertThat(versions(store.readStream(stream, ReadStreamOptions.reverse().afterVersion(37).count(30))))
                    .containsExactlyElementsOf(range(37, 8));
            assertThat(versions(store.readAll(ReadAllOptions.defaults()))).containsExactlyElementsOf(range(1, 40));
        } finally {
            db.discard(store);
        }
    }

    @Test
    void aLargeEventFetchedOnItsOwnIsReadFromTheReadsSnapshotThoughItsStreamIsDeletedMeanwhile() {
        TestDatabase db = TestDatabase.get();
        PostgresEventStore store = db.newStore();
        try {
            // More events than one first statement returns, so the read goes on with a cursor.
            TypeId stream = TypeId.newV4("doomed");
            List<WritableEvent> batch = new ArrayList<>();
            for (int i = 1; i <= 300; i++) {
                byte[] payload = new byte[i % 100 == 0 ? Sql.INLINE_BYTES + 1 : 8];
                payload[0] = (byte) i;
                WritableEvent event = WritableEvent.of("filled", payload).withMetadata("n", Integer.toString(i));
                // Large metadata beside a small payload is left out of the cursor's row too.
                batch.add(i == 150 ? event.withMetadata(java.util.Map.of("n", "150", "note", "m".repeat(Sql.INLINE_BYTES)))
                        : event);
            }
            long first = store.appendStream(stream, batch).get(0).globalPosition().orElseThrow();
            try (StreamIterator read = store.readStream(stream, ReadStreamOptions.defaults());
                    StreamIterator all = store.readAll(ReadAllOptions.after(first - 1))) {
                assertThat(read.next().streamVersion()).isEqualTo(1);
                assertThat(all.next().streamVersion()).isEqualTo(1);
                store.deleteStream(stream, dev.estoria.eventstore.DeleteStreamOptions.wholeStream());
                List<Long> versions = new ArrayList<>(List.of(1L));
                List<dev.estoria.eventstore.Event> rest = new ArrayList<>();
                read.forEachRemaining(rest::add);
                assertThat(rest.get(148).metadata().get("note")).hasSize(Sql.INLINE_BYTES);
                versions.addAll(versions(StreamIterator.of(rest)));
                assertThat(versions).containsExactlyElementsOf(range(1, 300));
                List<Long> global = new ArrayList<>(List.of(1L));
                global.addAll(versions(all));
                assertThat(global).containsExactlyElementsOf(range(1, 300));
            }
        } finally {
            db.discard(store);
        }
    }

    private static List<Long> versions(StreamIterator it) {
        List<Long> versions = new ArrayList<>();
        try (it) {
            while (it.hasNext()) {
                var e = it.next();
                assertThat(e.dataBuffer().get(0)).isEqualTo((byte) e.streamVersion());
                assertThat(e.metadata()).containsEntry("n", Long.toString(e.streamVersion()));
                versions.add(e.streamVersion());
            }
        }
        return versions;
    }

    private static List<Long> range(long from, long to) {
        List<Long> r = new ArrayList<>();
        for (long v = from; from <= to ? v <= to : v >= to; v += from <= to ? 1 : -1) {
            r.add(v);
        }
        return r;
    }

    /**
     * Reads the whole stream of large events, a stream of 600 small ones, the log after the small
     * events, a stream read of 100 events (the first statement's path), then projects the
     * large events with a runner of default options (batches of up to 500 events); then reads the
     * stream of small events followed by large ones, and the whole log from it on.
     */
    public static final class Reader {
        public static void main(String[] args) throws Exception {
            try (PostgresEventStore store = PostgresEventStore.open(args[0], PostgresOptions.defaults()
                    .withSchema(args[1]).withFeedCheckInterval(Duration.ZERO).withCrossProcessNotifications(false))) {
                TypeId stream = TypeId.parse(args[2]);
                long[] s = drain(store.readStream(stream, ReadStreamOptions.defaults()));
                drain(store.readStream(TypeId.parse(args[3]), ReadStreamOptions.defaults()));
                long[] a = drain(store.readAll(ReadAllOptions.after(Long.parseLong(args[4]))));
                long[] c = drain(store.readStream(stream, ReadStreamOptions.defaults().count(100)));
                java.util.concurrent.atomic.AtomicLong handledBytes = new java.util.concurrent.atomic.AtomicLong();
                try (PostgresProjectionRunner runner = PostgresProjectionRunner.create(store,
                        dev.estoria.projection.ProjectionId.of("large", 1),
                        (tx, event) -> handledBytes.addAndGet(event.dataLength()),
                        PostgresProjectionRunner.Options.defaults()
                                .filter(dev.estoria.eventstore.EventFilter.streamTypes("big"))).start()) {
                    if (!runner.awaitCaughtUp(Duration.ofSeconds(60))) {
                        throw new AssertionError("runner did not catch up");
                    }
                }
                long[] m = drain(store.readStream(TypeId.parse(args[5]), ReadStreamOptions.defaults()));
                long[] g = drain(store.readAll(ReadAllOptions.after(Long.parseLong(args[6]))));
                System.out.println("OK " + s[0] + " " + s[1] + " " + a[0] + " " + a[1] + " " + c[0] + " " + c[1]
                        + " " + handledBytes + " " + m[0] + " " + m[1] + " " + g[0] + " " + g[1]);
            }
        }

        private static long[] drain(StreamIterator it) {
            long n = 0;
            long bytes = 0;
            try (it) {
                while (it.hasNext()) {
                    bytes += it.next().dataLength();
                    n++;
                }
            }
            return new long[] {n, bytes};
        }
    }
}
