package dev.estoria.bench;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.postgres.PostgresEventStore;
import dev.estoria.postgres.PostgresOptions;
import dev.estoria.sqlite.SqliteEventStore;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;

/**
 * The catch-up read of the heap check, run in a child JVM with a small heap: reads the whole global
 * log once, checks that positions increase and that the expected number of events arrived, and
 * prints {@code OK <events> <nanos> <peak heap bytes> <max heap bytes>}. Exits with status 1 on any
 * failure (an {@link OutOfMemoryError} included).
 *
 * <p>Arguments: {@code sqlite FILE EXPECTED} or {@code postgres URL SCHEMA EXPECTED}.
 */
public final class CatchUpChild {

    private CatchUpChild() {
    }

    public static void main(String[] args) {
        try {
            long expected;
            AutoCloseable store;
            GlobalReader reader;
            if (args.length == 3 && args[0].equals("sqlite")) {
                SqliteEventStore sqlite = SqliteEventStore.open(Path.of(args[1]));
                store = sqlite;
                reader = sqlite;
                expected = Long.parseLong(args[2]);
            } else if (args.length == 4 && args[0].equals("postgres")) {
                PostgresEventStore postgres = PostgresEventStore.open(args[1],
                        PostgresOptions.defaults().withSchema(args[2]).withFeedCheckInterval(Duration.ZERO));
                store = postgres;
                reader = postgres;
                expected = Long.parseLong(args[3]);
            } else {
                System.out.println("usage: sqlite FILE EXPECTED | postgres URL SCHEMA EXPECTED");
                System.exit(2);
                return;
            }
            try (store) {
                long start = System.nanoTime();
                long count = 0;
                long last = 0;
                try (StreamIterator events = reader.readAll(ReadAllOptions.defaults())) {
                    while (events.hasNext()) {
                        Event event = events.next();
                        long position = event.globalPosition().orElseThrow();
                        if (position <= last) {
                            throw new IllegalStateException("position " + position + " after " + last);
                        }
                        last = position;
                        count++;
                    }
                }
                long nanos = System.nanoTime() - start;
                if (count != expected) {
                    throw new IllegalStateException("read " + count + " events, expected " + expected);
                }
                System.out.println(String.format(Locale.ROOT, "OK %d %d %d %d", count, nanos, peakHeap(),
                        Runtime.getRuntime().maxMemory()));
            }
        } catch (Throwable t) {
            System.out.println("FAILED " + t);
            System.exit(1);
        }
        System.exit(0);
    }

    /** The sum of the heap pools' peak usage. */
    private static long peakHeap() {
        long peak = 0;
        for (MemoryPoolMXBean pool : ManagementFactory.getMemoryPoolMXBeans()) {
            if (pool.getType() == MemoryType.HEAP) {
                peak += pool.getPeakUsage().getUsed();
            }
        }
        return peak;
    }
}
