package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class TailCommandTest {

    static final TypeId STREAM = TypeId.parse("account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a");

    final CliHarness cli = new CliHarness();
    final CliHarness.LineWriter out = new CliHarness.LineWriter();
    final CliHarness.LineWriter err = new CliHarness.LineWriter();
    final ExecutorService executor = Executors.newSingleThreadExecutor();
    InMemoryEventStore store;

    @BeforeEach
    void twoEvents() {
        store = cli.defaultStore();
        append("{\"n\":1}");
        append("{\"n\":2}");
    }

    @AfterEach
    void stopExecutor() {
        executor.shutdownNow();
    }

    void append(String json) {
        store.appendStream(STREAM, List.of(WritableEvent.json("counted", json)));
    }

    Future<Integer> tail(String... args) {
        String[] full = new String[args.length + 1];
        full[0] = "tail";
        System.arraycopy(args, 0, full, 1, args.length);
        return executor.submit(() -> cli.run(new ByteArrayInputStream(new byte[0]),
                new PrintWriter(out), new PrintWriter(err), full));
    }

    void interrupt() {
        // Runs as the shutdown hook would: returns once tail has stopped (or after its grace period).
        cli.interruptHandlers.forEach(Runnable::run);
    }

    @Test
    void printsTheLogThenFollowsNewEventsUntilInterrupted() throws Exception {
        Future<Integer> tail = tail("--after", "0", "--interval", "5");

        assertThat(out.take()).contains("\"globalPosition\":1,");
        assertThat(out.take()).contains("\"globalPosition\":2,");
        append("{\"n\":3}");
        assertThat(out.take()).contains("\"globalPosition\":3,").contains("\"data\":{\"n\":3}");

        interrupt();

        assertThat(tail.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(cli.closeCount).isEqualTo(cli.openCount).isEqualTo(1);
        assertThat(out.drain()).isEmpty();
        assertThat(cli.interruptHandlers).isEmpty();
    }

    @Test
    void withoutAfterItStartsAtTheCurrentEnd() throws Exception {
        cli.stderrIsTerminal = true;
        Future<Integer> tail = tail("--interval", "5");

        assertThat(err.take()).isEqualTo("following events after position 2 (Ctrl-C to stop)");
        append("{\"n\":3}");
        assertThat(out.take()).contains("\"globalPosition\":3,");

        interrupt();
        assertThat(tail.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(out.drain()).isEmpty();
    }

    @Test
    void stopsWhenStdoutIsClosed() throws Exception {
        Future<Integer> tail = tail("--after", "1", "--interval", "5");
        assertThat(out.take()).contains("\"globalPosition\":2,");

        out.closed = true;
        append("{\"n\":3}");

        assertThat(tail.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(cli.closeCount).isEqualTo(cli.openCount);
    }

    @Test
    void printsATableWhenAsked() throws Exception {
        Future<Integer> tail = tail("--after", "0", "--interval", "5", "--format", "table");

        assertThat(out.take()).startsWith("POSITION  STREAM");
        assertThat(out.take()).startsWith("       1  " + STREAM);
        assertThat(out.take()).startsWith("       2  " + STREAM);
        interrupt();
        assertThat(tail.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void anAppendThroughTheSameStoreWakesItWithoutWaitingForAPoll() throws Exception {
        // An hour between polls: only the store's append notification can bring the event in time.
        Future<Integer> tail = tail("--after", "1", "--interval", "3600000");
        // Once event 2 is printed, tail has read the log and goes on to wait for more.
        assertThat(out.take()).contains("\"globalPosition\":2,");

        append("{\"n\":3}");

        assertThat(out.take()).contains("\"globalPosition\":3,");
        interrupt();
        assertThat(tail.get(10, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void leavesInternalStreamsOutUnlessAskedAndFiltersByType() throws Exception {
        assertFollows(List.of(1L, 2L, 4L, 5L), STREAM, "counted");
        assertFollows(List.of(1L, 2L, 3L, 4L, 5L), STREAM, "counted", "--include-internal");
        assertFollows(List.of(4L), ORDER, "orderplaced", "--stream-type", "order");
        assertFollows(List.of(1L, 2L, 4L), ORDER, "orderplaced", "--event-type", "counted", "--event-type", "orderplaced");
        assertFollows(List.of(3L), SNAPSHOT, "snapshottaken", "--stream-type", "estoria.snapshot");
    }

    static final TypeId SNAPSHOT = TypeId.parse("estoria.snapshot_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7c");
    static final TypeId ORDER = TypeId.parse("order_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7b");

    /**
     * On a fresh store holding the two counted events (1, 2), a snapshot (3), an order (4) and an
     * event of another type (5), tail from the start prints exactly {@code expected}, in order; then
     * an event appended to {@code stream} with {@code type}, which passes the filter, is the very
     * next line, so nothing filtered out slipped in after the expected events either.
     */
    void assertFollows(List<Long> expected, TypeId stream, String type, String... filter) throws Exception {
        CliHarness fresh = new CliHarness();
        InMemoryEventStore log = fresh.defaultStore();
        log.appendStream(STREAM, List.of(WritableEvent.json("counted", "{}"), WritableEvent.json("counted", "{}")));
        log.appendStream(SNAPSHOT, List.of(WritableEvent.json("snapshottaken", "{}")));
        log.appendStream(ORDER, List.of(WritableEvent.json("orderplaced", "{}")));
        log.appendStream(STREAM, List.of(WritableEvent.json("otherwise", "{}")));
        CliHarness.LineWriter lines = new CliHarness.LineWriter();
        String[] args = new String[filter.length + 3];
        args[0] = "tail";
        args[1] = "--after";
        args[2] = "0";
        System.arraycopy(filter, 0, args, 3, filter.length);
        Future<Integer> tail = executor.submit(() -> fresh.run(new ByteArrayInputStream(new byte[0]),
                new PrintWriter(lines), new PrintWriter(err), args));

        for (long position : expected) {
            assertThat(lines.take()).as(String.join(" ", args)).contains("\"globalPosition\":" + position + ",");
        }
        log.appendStream(stream, List.of(WritableEvent.json(type, "{}")));
        assertThat(lines.take()).as(String.join(" ", args)).contains("\"globalPosition\":6,");

        fresh.interruptHandlers.forEach(Runnable::run);
        assertThat(tail.get(10, TimeUnit.SECONDS)).isZero();
        assertThat(lines.drain()).isEmpty();
    }

    @Test
    void aMissingDatabaseIsBadInput() {
        CliHarness.Result result = cli.run("tail", "--db", "missing.db");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).isEqualTo("error: no database at missing.db\n");
    }
}
