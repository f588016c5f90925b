package dev.estoria.bench;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamIterator;

/** Times a read that returns how many events it went through. */
final class ReadRun {

    /** A read to time; returns the number of events read. */
    @FunctionalInterface
    interface Read {
        long run() throws Exception;
    }

    /** Events per second of one run of {@code read}, which must read {@code expected} events. */
    static double eventsPerSecond(Read read, long expected) throws Exception {
        long start = System.nanoTime();
        long count = read.run();
        long nanos = System.nanoTime() - start;
        if (count != expected) {
            throw new IllegalStateException("a read went through " + count + " events, expected " + expected);
        }
        return count / (nanos / 1e9);
    }

    /**
     * Drains an iterator, touching every event's position, version and payload length so the work
     * cannot be skipped; returns the number of events.
     */
    static long drain(StreamIterator events) {
        long count = 0;
        long checksum = 0;
        try (events) {
            while (events.hasNext()) {
                Event event = events.next();
                checksum += event.streamVersion() + event.dataLength() + event.globalPosition().orElse(0);
                count++;
            }
        }
        sink(checksum);
        return count;
    }

    private static volatile long sink;

    /** Keeps a value observable so the computation behind it is not dropped. */
    static void sink(long value) {
        sink = value;
    }

    private ReadRun() {
    }
}
