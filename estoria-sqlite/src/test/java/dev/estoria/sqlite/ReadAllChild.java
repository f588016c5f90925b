package dev.estoria.sqlite;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamIterator;
import java.nio.file.Path;

/**
 * Reads the whole global log of a file and prints {@code OK <events> <payload bytes>}, checking
 * that positions strictly increase. Run by {@link ReadAllMemoryTest} in a child JVM with a small
 * heap.
 */
public final class ReadAllChild {

    private ReadAllChild() {
    }

    public static void main(String[] args) {
        Path file = Path.of(args[0]);
        long events = 0;
        long bytes = 0;
        long previous = 0;
        try (SqliteEventStore store = SqliteEventStore.open(file); StreamIterator it = store.readAll()) {
            while (it.hasNext()) {
                Event e = it.next();
                long position = e.globalPosition().orElseThrow();
                if (position <= previous) {
                    throw new IllegalStateException("position " + position + " after " + previous);
                }
                previous = position;
                events++;
                bytes += e.dataLength();
            }
        }
        System.out.println("OK " + events + " " + bytes);
    }
}
