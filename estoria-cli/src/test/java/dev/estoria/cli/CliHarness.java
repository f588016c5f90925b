package dev.estoria.cli;

import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.cli.store.StoreOpener;
import dev.estoria.cli.store.StoreTarget;
import dev.estoria.cli.store.StoreMissingException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.projection.InMemoryCheckpointStore;
import dev.estoria.snapshot.InMemorySnapshotStore;
import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * Runs commands in-process against in-memory stores, one per {@code --db} path, behind the same
 * seam the real command uses; captures stdout, stderr and the exit code.
 */
final class CliHarness {

    /** A command's outcome. */
    record Result(int exitCode, String out, String err) {
        List<String> outLines() {
            return out.isEmpty() ? List.of() : List.of(out.split("\n"));
        }
    }

    final Map<Path, InMemoryEventStore> stores = new ConcurrentHashMap<>();
    final Map<Path, InMemoryCheckpointStore> checkpoints = new ConcurrentHashMap<>();
    final Map<Path, InMemorySnapshotStore> snapshots = new ConcurrentHashMap<>();
    Clock clock = Clock.systemUTC();
    final List<Runnable> interruptHandlers = new CopyOnWriteArrayList<>();
    volatile int openCount;
    volatile int closeCount;
    boolean stdinIsTerminal;
    boolean stderrIsTerminal;
    StoreOpener opener = this::openMemory;

    private CliStore openMemory(StoreTarget target, OpenMode mode) {
        Path path = switch (target) {
            case StoreTarget.File file -> file.path();
            case StoreTarget.Postgres postgres -> Path.of(postgres.describe());
        };
        InMemoryEventStore store = stores.get(path);
        if (store == null) {
            if (mode == OpenMode.MUST_EXIST) {
                throw new StoreMissingException("no database at " + path);
            }
            store = stores.computeIfAbsent(path, p -> InMemoryEventStore.create());
        }
        openCount++;
        return CliStore.of(store, checkpoints(path.toString()), snapshots(path.toString()), () -> closeCount++);
    }

    /** The store the default {@code --db} names, created if needed; for setting up and checking. */
    InMemoryEventStore defaultStore() {
        return store(StoreOptions.DEFAULT_DB);
    }

    InMemoryEventStore store(String db) {
        return stores.computeIfAbsent(Path.of(db), p -> InMemoryEventStore.create());
    }

    /** The checkpoints kept with the store that {@code db} names. */
    InMemoryCheckpointStore checkpoints(String db) {
        return checkpoints.computeIfAbsent(Path.of(db), p -> InMemoryCheckpointStore.create());
    }

    /** The snapshots kept with the store that {@code db} names. */
    InMemorySnapshotStore snapshots(String db) {
        return snapshots.computeIfAbsent(Path.of(db), p -> InMemorySnapshotStore.create());
    }

    /** Every event of the default store, in global order. */
    List<Event> allEvents() {
        InMemoryEventStore store = stores.get(Path.of(StoreOptions.DEFAULT_DB));
        return store == null ? List.of() : store.readAll().toList();
    }

    CliEnvironment environment(InputStream stdin) {
        return new CliEnvironment(opener, stdin, stdinIsTerminal, stderrIsTerminal, "estoria",
                onInterrupt -> {
                    interruptHandlers.add(onInterrupt);
                    return () -> interruptHandlers.remove(onInterrupt);
                },
                false,
                clock);
    }

    Result run(String... args) {
        return runWithStdin("", args);
    }

    Result runWithStdin(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int code = run(new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintWriter(out), new PrintWriter(err), args);
        return new Result(code, out.toString(), err.toString());
    }

    int run(InputStream stdin, PrintWriter out, PrintWriter err, String... args) {
        return EstoriaCli.run(environment(stdin), out, err, args);
    }

    /** Writers whose lines a test can wait for. */
    static final class LineWriter extends Writer {
        final java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
        private final StringBuilder current = new StringBuilder();
        volatile boolean closed;

        @Override
        public synchronized void write(char[] buffer, int offset, int length) throws java.io.IOException {
            if (closed) {
                throw new java.io.IOException("Broken pipe");
            }
            for (int i = offset; i < offset + length; i++) {
                if (buffer[i] == '\n') {
                    lines.add(current.toString());
                    current.setLength(0);
                } else {
                    current.append(buffer[i]);
                }
            }
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}

        String take() throws InterruptedException {
            String line = lines.poll(10, java.util.concurrent.TimeUnit.SECONDS);
            if (line == null) {
                throw new AssertionError("no line within 10 s");
            }
            return line;
        }

        List<String> drain() {
            List<String> rest = new ArrayList<>();
            lines.drainTo(rest);
            return rest;
        }
    }
}
