package dev.estoria.cli.format;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamInfo;
import java.io.PrintWriter;
import java.time.temporal.ChronoUnit;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.stream.Collectors;

/**
 * Events and streams as tables for people ({@code --format table}): one row per event with its
 * position, stream, version, type, time (UTC, to the second), metadata and a preview of the payload.
 * Long cells are cut with {@code ...}; the event line format is the one that keeps everything.
 */
public final class EventTable {

    static final int DATA_WIDTH = 60;
    static final int METADATA_WIDTH = 32;

    private final Table table;

    private EventTable(Table table) {
        this.table = table;
    }

    /** Starts an event table on {@code out}. */
    public static EventTable events(PrintWriter out) {
        return new EventTable(Table.of(out, ">POSITION", "STREAM", ">VERSION", "TYPE", "TIME", "METADATA", "DATA"));
    }

    /** Adds an event. */
    public void add(Event event) {
        table.row(
                event.globalPosition().isPresent() ? Long.toString(event.globalPosition().getAsLong()) : "-",
                event.streamId().toString(),
                Long.toString(event.streamVersion()),
                event.type(),
                event.timestamp().truncatedTo(ChronoUnit.SECONDS).toString(),
                cut(metadata(event.metadata()), METADATA_WIDTH),
                cut(preview(event.data(), event.contentType()), DATA_WIDTH));
    }

    /** Prints the rows buffered so far; see {@link Table#flush()}. */
    public void flush() {
        table.flush();
    }

    /** Prints the rows still buffered, or {@code (no events)} if there were none. */
    public void finish() {
        table.finish("(no events)");
    }

    /** Prints streams and their versions as a table, or {@code (no streams)}. */
    public static void streams(PrintWriter out, Iterable<StreamInfo> streams) {
        Table table = Table.of(out, "STREAM", ">VERSION");
        for (StreamInfo stream : streams) {
            table.row(stream.streamId().toString(), Long.toString(stream.version()));
        }
        table.finish("(no streams)");
    }

    /**
     * A one-line preview of a payload: its JSON, its text for textual content types, or its size and
     * content type.
     */
    public static String preview(byte[] data, String contentType) {
        switch (Payload.of(data, contentType)) {
            case Payload.Verbatim verbatim -> {
                return verbatim.json();
            }
            case Payload.Reformatted reformatted -> {
                return reformatted.compact();
            }
            case Payload.Opaque opaque -> {
                boolean textual = contentType.isEmpty() || contentType.startsWith("text/");
                Optional<String> text = textual ? Json.utf8(data) : Optional.empty();
                if (text.isPresent() && text.get().chars().noneMatch(Character::isISOControl)) {
                    return text.get();
                }
                String type = contentType.isEmpty() ? "no content type" : contentType;
                return "<" + data.length + " bytes, " + type + ">";
            }
        }
    }

    private static String metadata(Map<String, String> metadata) {
        return new TreeMap<>(metadata).entrySet().stream()
                .map(e -> e.getKey() + "=" + e.getValue())
                .collect(Collectors.joining(","));
    }

    static String cut(String text, int width) {
        String oneLine = text.replaceAll("\\p{Cntrl}", " ");
        if (oneLine.length() <= width) {
            return oneLine;
        }
        int end = width - 3;
        if (Character.isHighSurrogate(oneLine.charAt(end - 1)) && Character.isLowSurrogate(oneLine.charAt(end))) {
            end--; // never split a surrogate pair
        }
        return oneLine.substring(0, end) + "...";
    }
}
