package dev.estoria.sqlite;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

/**
 * Appends to its own stream and, with exact expectations, to a stream shared with another process,
 * printing one line per acknowledged append. Run by {@link TwoProcessTest} in a child JVM.
 *
 * <p>Arguments: file, own stream, shared stream, number of rounds. After the first half of the
 * rounds it prints {@code HALF} and waits for a line on standard input, so the parent can make sure
 * both processes write at once; after three quarters it prints {@code PAUSE} and waits again, so the
 * parent can make sure one of its appends lands inside this process's second half; at the end it
 * prints {@code DONE}.
 */
public final class WriterChild {

    /**
     * The options both processes open the file with. SQLite's write lock is not fair: a process
     * waiting for it polls with growing sleeps, and on a loaded machine the other one can hold it
     * off for longer than the default busy timeout. The test is about sharing the file correctly,
     * so each side waits as long as it takes.
     */
    static final SqliteOptions SHARING = SqliteOptions.defaults().withBusyTimeout(java.time.Duration.ofSeconds(60));

    private WriterChild() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        TypeId own = TypeId.parse(args[1]);
        TypeId shared = TypeId.parse(args[2]);
        int rounds = Integer.parseInt(args[3]);
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        try (SqliteEventStore store = SqliteEventStore.open(file, SHARING)) {
            for (int round = 0; round < rounds; round++) {
                if (round == rounds / 2) {
                    awaitParent("HALF", out, in);
                } else if (round == rounds * 3 / 4) {
                    awaitParent("PAUSE", out, in);
                }
                out.println(Ack.line(own, store.appendStream(own, batch("child", 2))));
                out.println(Ack.line(shared, appendExpectingTip(store, shared, batch("child", 1))));
            }
        }
        out.println("DONE");
    }

    private static void awaitParent(String signal, PrintStream out, BufferedReader in) throws java.io.IOException {
        out.println(signal);
        if (in.readLine() == null) {
            throw new IllegalStateException("parent went away");
        }
    }

    static List<WritableEvent> batch(String writer, int size) {
        return java.util.stream.IntStream.range(0, size)
                .mapToObj(i -> WritableEvent.of("written.by." + writer, new byte[] {(byte) i}).withEventId(UUID.randomUUID()))
                .toList();
    }

    /**
     * Read-modify-write with an exact expectation, retried on mismatch: the expectation check must
     * hold across processes for the shared stream to stay gapless with every success acknowledged.
     */
    static List<Event> appendExpectingTip(SqliteEventStore store, TypeId stream, List<WritableEvent> events) {
        while (true) {
            long tip = tip(store, stream);
            try {
                return store.appendStream(stream, events, AppendStreamOptions.expectingVersion(tip));
            } catch (StreamVersionMismatchException e) {
                // Another process got there first; read the new tip and try again.
            }
        }
    }

    static long tip(SqliteEventStore store, TypeId stream) {
        try (StreamIterator it = store.readStream(stream, ReadStreamOptions.reverse().count(1))) {
            return it.hasNext() ? it.next().streamVersion() : 0;
        } catch (StreamNotFoundException e) {
            return 0;
        }
    }
}
