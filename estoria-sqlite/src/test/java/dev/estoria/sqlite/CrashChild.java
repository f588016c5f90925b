package dev.estoria.sqlite;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamAppend;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.sqlite.SqliteOptions.Durability;
import dev.estoria.typeid.TypeId;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Appends multi-event batches from several threads to several streams until killed, a third of them
 * as multi-stream appends of two batches, printing one line per acknowledged append. Run by {@link CrashSafetyTest} in a child JVM.
 *
 * <p>Arguments: file, durability (FULL or NORMAL), thread count, comma-separated stream IDs.
 */
public final class CrashChild {

    private CrashChild() {
    }

    public static void main(String[] args) throws Exception {
        Path file = Path.of(args[0]);
        Durability durability = Durability.valueOf(args[1]);
        int threads = Integer.parseInt(args[2]);
        List<TypeId> streams = new ArrayList<>();
        for (String s : args[3].split(",")) {
            streams.add(TypeId.parse(s));
        }
        PrintStream out = new PrintStream(System.out, false, StandardCharsets.UTF_8);
        SqliteEventStore store = SqliteEventStore.open(file, SqliteOptions.defaults().withDurability(durability));
        List<Thread> workers = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            Thread worker = new Thread(() -> {
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (true) {
                    TypeId stream = streams.get(random.nextInt(streams.size()));
                    String call = UUID.randomUUID().toString();
                    List<String> lines = new ArrayList<>();
                    if (random.nextInt(3) == 0) {
                        // A multi-stream append: two appends, to two streams or to one twice, whose
                        // events must all be stored or none.
                        TypeId other = streams.get(random.nextInt(streams.size()));
                        int first = random.nextInt(1, 4);
                        int second = random.nextInt(1, 4);
                        List<List<Event>> written = store.appendStreams(List.of(
                                StreamAppend.of(stream, batch(first, call, first + second, random)),
                                StreamAppend.of(other, batch(second, call, first + second, random))));
                        lines.add(Ack.line(stream, written.get(0)));
                        lines.add(Ack.line(other, written.get(1)));
                    } else {
                        int size = random.nextInt(1, 6);
                        lines.add(Ack.line(stream, store.appendStream(stream, batch(size, call, size, random))));
                    }
                    synchronized (out) {
                        lines.forEach(out::println);
                        out.flush();
                    }
                }
            });
            worker.start();
            workers.add(worker);
        }
        for (Thread worker : workers) {
            worker.join();
        }
    }

    /**
     * A batch whose events say which batch they belong to and its size, and which call and its
     * size in events, so a partial append or a partial multi-stream append shows.
     */
    static List<WritableEvent> batch(int size, String call, int callSize, ThreadLocalRandom random) {
        String batchId = UUID.randomUUID().toString();
        List<WritableEvent> events = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            byte[] payload = new byte[random.nextInt(0, 2000)];
            random.nextBytes(payload);
            events.add(WritableEvent.of("crash.tested", payload)
                    .withMetadata(Map.of("batch", batchId, "size", Integer.toString(size), "index", Integer.toString(i),
                            "call", call, "callSize", Integer.toString(callSize)))
                    .withEventId(UUID.randomUUID()));
        }
        return events;
    }
}
