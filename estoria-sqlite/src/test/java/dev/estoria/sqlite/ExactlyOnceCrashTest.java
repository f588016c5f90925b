package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.Checkpoint;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.typeid.TypeId;
import java.io.BufferedReader;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The exactly-once proof of {@link SqliteProjectionRunner}: a child JVM projects a few thousand
 * events into read-model tables in the same file, and is killed with SIGKILL mid-way, again and
 * again; after every kill the read model holds exactly the events up to the committed checkpoint,
 * and after the last run every event was counted exactly once.
 *
 * <p>Kill cycles alternate two ways of dying: in {@code stall} cycles the handler blocks inside an
 * open transaction after printing its line, so the kill surely lands mid-batch with uncommitted
 * read-model writes; in {@code run} cycles the child goes on, so the kill lands wherever the
 * child happens to be (handling, committing, reading). {@code -Destoria.projection.cycles=N} sets
 * the number of kill cycles (4 by default).
 */
class ExactlyOnceCrashTest {

    private static final int PER_STREAM = 100;
    /**
     * Streams per kill cycle: a cycle projects up to about 450 events, so with fewer left the later
     * cycles of a long run would find the projection finished and kill nothing.
     */
    private static final int STREAMS_PER_CYCLE = 6;
    private static final int MIN_STREAMS = 30;

    @TempDir
    Path directory;

    @Test
    @DisplayName("SIGKILL mid-batch, restart, repeat: every event is counted exactly once")
    void killAndRestart() throws Exception {
        int cycles = Integer.getInteger("estoria.projection.cycles", 4);
        long seed = Long.getLong("estoria.projection.seed", System.nanoTime());
        Random random = new Random(seed);
        Path file = directory.resolve("projection.db");
        Map<UUID, Long> expected = prepare(file, Math.max(MIN_STREAMS, cycles * STREAMS_PER_CYCLE));
        long lastPosition = expected.values().stream().mapToLong(Long::longValue).max().orElseThrow();
        int kills = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            String mode = cycle % 2 == 0 ? "stall" : "run";
            // In stall cycles the stalled event is never the first of its batch (batches start at the
            // checkpoint), so events of the batch before it have uncommitted writes when the kill lands.
            long target = mode.equals("stall")
                    ? (long) ProjectionChild.BATCH_SIZE * random.nextInt(1, 10) + 2 + random.nextInt(ProjectionChild.BATCH_SIZE - 1)
                    : 50 + random.nextInt(400);
            String when = "cycle " + cycle + " (" + mode + ", seed " + seed + ")";
            Path stderr = directory.resolve("child-" + cycle + ".err");
            Process child = ChildJvm.start(ProjectionChild.class, List.of("-Xmx64m"),
                    List.of(file.toString(), mode, Long.toString(target)), stderr);
            long midPosition = -1;
            try (BufferedReader out = ChildJvm.stdout(child)) {
                String line = out.readLine();
                assertThat(line).as("first line of the child in %s; stderr:%n%s", when, ChildJvm.errors(stderr))
                        .isNotNull().matches("(MID|DONE) \\d+");
                if (line.startsWith("MID ")) {
                    midPosition = Long.parseLong(line.substring(4));
                    // SIGKILL, through the handle so the pipe stays open; see CrashSafetyTest.
                    assertThat(child.toHandle().destroyForcibly()).isTrue();
                    kills++;
                }
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            }
            long checkpoint = verifyConsistent(file, expected, when);
            if (mode.equals("stall") && midPosition > 0) {
                assertThat(checkpoint).as("the stalled batch never committed, in %s", when).isLessThan(midPosition);
            }
        }
        Path stderr = directory.resolve("child-final.err");
        Process child = ChildJvm.start(ProjectionChild.class, List.of("-Xmx64m"),
                List.of(file.toString(), "finish", "0"), stderr);
        try (BufferedReader out = ChildJvm.stdout(child)) {
            assertThat(out.readLine()).as("the final run; stderr:%n%s", ChildJvm.errors(stderr))
                    .isEqualTo("DONE " + lastPosition);
            assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(child.exitValue()).as("exit of the final run; stderr:%n%s", ChildJvm.errors(stderr)).isZero();
        }
        assertThat(verifyConsistent(file, expected, "the end")).isEqualTo(lastPosition);
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            assertThat(CountingReadModel.counter(store)).isEqualTo(expected.size());
            assertThat(CountingReadModel.seen(store)).isEqualTo(expected);
        }
        assertThat(kills).as("kills that landed (seed %d)", seed).isGreaterThanOrEqualTo(cycles / 2);
        System.out.printf("exactly once: %d events, %d kill cycles, %d kills landed mid-projection%n",
                expected.size(), cycles, kills);
    }

    /** Writes the events and a few snapshot events the projection must leave out; returns event ID to position. */
    private static Map<UUID, Long> prepare(Path file, int streams) {
        Map<UUID, Long> expected = new HashMap<>();
        try (SqliteEventStore store = SqliteEventStore.open(file,
                SqliteOptions.defaults().withDurability(SqliteOptions.Durability.NORMAL))) {
            EventStreamSnapshotStore snapshots = EventStreamSnapshotStore.create(store);
            for (int s = 0; s < streams; s++) {
                TypeId stream = TypeId.newV4("item");
                List<WritableEvent> batch = new ArrayList<>();
                for (int i = 0; i < PER_STREAM; i++) {
                    batch.add(WritableEvent.json("counted", "{\"i\":" + i + "}"));
                }
                for (Event e : store.appendStream(stream, batch)) {
                    expected.put(e.id().uuid(), e.globalPosition().orElseThrow());
                }
                if (s % 10 == 0) {
                    snapshots.write(new Snapshot(stream, PER_STREAM, Instant.now(), new byte[] {1}, ""));
                }
            }
        }
        return expected;
    }

    /**
     * Checks that the read model holds exactly the projection's events up to the committed
     * checkpoint, each once, and returns the checkpoint.
     */
    private static long verifyConsistent(Path file, Map<UUID, Long> expected, String when) {
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            long checkpoint = SqliteCheckpointStore.of(store).load(ProjectionChild.ID).map(Checkpoint::position)
                    .orElse(0L);
            Map<UUID, Long> upToCheckpoint = new HashMap<>();
            try (StreamIterator events = store.readAll(ReadAllOptions.after(0)
                    .filter(EventFilter.applicationStreams()))) {
                while (events.hasNext()) {
                    Event e = events.next();
                    if (e.globalPosition().orElseThrow() <= checkpoint) {
                        upToCheckpoint.put(e.id().uuid(), e.globalPosition().orElseThrow());
                    }
                }
            }
            assertThat(expected).as("the prepared events are the application events").containsAllEntriesOf(upToCheckpoint);
            Map<UUID, Long> seen = CountingReadModel.seen(store);
            assertThat(seen).as("read-model rows after %s, checkpoint %d", when, checkpoint).isEqualTo(upToCheckpoint);
            assertThat(CountingReadModel.counter(store)).as("counter after %s, checkpoint %d", when, checkpoint)
                    .isEqualTo(upToCheckpoint.size());
            return checkpoint;
        }
    }
}
