package dev.estoria.sqlite;

import dev.estoria.eventstore.Event;
import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * One acknowledged append, as a child process reports it on one line:
 * {@code ACK <stream> <firstVersion> <count> <position,...> <uuid,...> END}. A line cut short by a
 * kill lacks the final {@code END} and is not an acknowledgement.
 */
record Ack(TypeId stream, long firstVersion, int count, List<Long> positions, List<UUID> eventIds) {

    static String line(TypeId stream, List<Event> written) {
        StringBuilder positions = new StringBuilder();
        StringBuilder ids = new StringBuilder();
        for (Event e : written) {
            positions.append(positions.isEmpty() ? "" : ",").append(e.globalPosition().orElseThrow());
            ids.append(ids.isEmpty() ? "" : ",").append(e.id().uuid());
        }
        return "ACK " + stream + " " + written.get(0).streamVersion() + " " + written.size() + " " + positions + " "
                + ids + " END";
    }

    /** Parses a complete line, or returns null for anything else (such as a line cut by a kill). */
    static Ack parse(String line) {
        String[] parts = line.split(" ");
        if (parts.length != 7 || !parts[0].equals("ACK") || !parts[6].equals("END")) {
            return null;
        }
        List<Long> positions = new ArrayList<>();
        for (String p : parts[4].split(",")) {
            positions.add(Long.parseLong(p));
        }
        List<UUID> ids = new ArrayList<>();
        for (String id : parts[5].split(",")) {
            ids.add(UUID.fromString(id));
        }
        int count = Integer.parseInt(parts[3]);
        if (positions.size() != count || ids.size() != count) {
            return null;
        }
        return new Ack(TypeId.parse(parts[1]), Long.parseLong(parts[2]), count, positions, ids);
    }
}
