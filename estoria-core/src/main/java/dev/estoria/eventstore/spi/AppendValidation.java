package dev.estoria.eventstore.spi;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DuplicateEventIdException;
import dev.estoria.eventstore.StreamAppend;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * The checks every store makes on an append before it touches storage, so that all stores refuse
 * the same input with the same exceptions and nothing is written.
 */
public final class AppendValidation {

    private AppendValidation() {
    }

    /**
     * Validates an append and returns an immutable snapshot of the batch, safe from later changes
     * to the caller's list.
     *
     * @throws NullPointerException if an argument or an element of {@code events} is null
     * @throws IllegalArgumentException if the batch is empty, carries a reserved metadata key
     *     while {@code options} does not allow it, or if the stream type, an event type, a content
     *     type or a metadata key or value is not well-formed Unicode (holds an unpaired surrogate,
     *     which no encoding a store writes can keep verbatim)
     * @throws DuplicateEventIdException if the batch repeats a caller-chosen event ID
     */
    public static List<WritableEvent> validate(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(options, "options");
        List<WritableEvent> batch;
        try {
            batch = List.copyOf(events);
        } catch (NullPointerException e) {
            throw new NullPointerException("events must not contain null (append to " + streamId + ")");
        }
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("append to " + streamId + " has no events; at least one is required");
        }
        requireWellFormed(streamId.type(), streamId, "the stream type");
        Set<UUID> chosen = null;
        for (int i = 0; i < batch.size(); i++) {
            WritableEvent event = batch.get(i);
            requireWellFormed(event.type(), streamId, "event " + i + " event type");
            requireWellFormed(event.contentType(), streamId, "event " + i + " content type");
            for (Map.Entry<String, String> entry : event.metadata().entrySet()) {
                requireWellFormed(entry.getKey(), streamId, "event " + i + " metadata key");
                requireWellFormed(entry.getValue(), streamId, "event " + i + " metadata value of \"" + entry.getKey() + "\"");
            }
            if (!options.allowReservedMetadata()) {
                for (String key : event.metadata().keySet()) {
                    if (key.startsWith(WritableEvent.RESERVED_METADATA_PREFIX)) {
                        throw new IllegalArgumentException("append to " + streamId + ": event " + i + " has metadata key \""
                                + key + "\"; keys starting with \"" + WritableEvent.RESERVED_METADATA_PREFIX
                                + "\" are reserved for Estoria");
                    }
                }
            }
            if (event.eventId().isPresent()) {
                if (chosen == null) {
                    chosen = new HashSet<>();
                }
                UUID id = event.eventId().get();
                if (!chosen.add(id)) {
                    throw new DuplicateEventIdException(streamId, id, "the batch repeats this ID");
                }
            }
        }
        return batch;
    }

    /**
     * Validates the appends of one {@link dev.estoria.eventstore.MultiStreamWriter#appendStreams}
     * call, each as {@link #validate} does, and returns their batches in order.
     *
     * @throws NullPointerException if the list or an element of it is null
     * @throws IllegalArgumentException if the list is empty, or as {@link #validate}
     * @throws DuplicateEventIdException if a caller-chosen event ID is given twice in the call
     */
    public static List<List<WritableEvent>> validateAll(List<StreamAppend> appends) {
        Objects.requireNonNull(appends, "appends");
        List<StreamAppend> all;
        try {
            all = List.copyOf(appends);
        } catch (NullPointerException e) {
            throw new NullPointerException("appends must not contain null");
        }
        if (all.isEmpty()) {
            throw new IllegalArgumentException("appendStreams was given no appends; at least one is required");
        }
        List<List<WritableEvent>> batches = new ArrayList<>(all.size());
        Set<UUID> chosen = new HashSet<>();
        for (int a = 0; a < all.size(); a++) {
            StreamAppend append = all.get(a);
            List<WritableEvent> batch = validate(append.streamId(), append.events(), append.options());
            for (WritableEvent event : batch) {
                if (event.eventId().isPresent() && !chosen.add(event.eventId().get())) {
                    throw new DuplicateEventIdException(append.streamId(), event.eventId().get(),
                            "append " + a + " of the call repeats an ID an earlier append of it gives");
                }
            }
            batches.add(batch);
        }
        return batches;
    }

    /**
     * The streams of a multi-stream append, for messages: the first three, and how many more.
     */
    public static String describeStreams(List<StreamAppend> appends) {
        List<String> names = appends.stream().map(a -> a.streamId().toString()).distinct().toList();
        return names.size() <= 3 ? String.join(", ", names)
                : String.join(", ", names.subList(0, 3)) + " and " + (names.size() - 3) + " more streams";
    }

    /**
     * Refuses an event larger than a store holds, counting what every store keeps of it: its
     * payload, its metadata as the store encodes it, and its event type and content type in UTF-8.
     * Call it after {@link #validate}, whose well-formed text this counts without encoding it.
     *
     * @param index the event's place in its append, for the message
     * @param encodedMetadataBytes the length of the event's metadata as the store encodes it
     * @throws IllegalArgumentException naming the stream, the event, its size and the limit
     */
    public static void requireEventSize(TypeId streamId, int index, WritableEvent event, int encodedMetadataBytes,
            long maxBytes) {
        long size = (long) event.dataLength() + encodedMetadataBytes + utf8Length(event.type())
                + utf8Length(event.contentType());
        if (size > maxBytes) {
            throw new IllegalArgumentException("append to " + streamId + ": event " + index + " is " + size
                    + " bytes (payload, metadata, types); this store holds at most " + maxBytes + " bytes per event");
        }
    }

    /** The UTF-8 length of well-formed text, without encoding it. */
    private static long utf8Length(String text) {
        long bytes = 0;
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c < 0x80) {
                bytes += 1;
            } else if (c < 0x800) {
                bytes += 2;
            } else if (Character.isHighSurrogate(c)) {
                bytes += 4; // with its low surrogate, which validate made sure follows
                i++;
            } else {
                bytes += 3;
            }
        }
        return bytes;
    }

    private static void requireWellFormed(String text, TypeId streamId, String what) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                throw new IllegalArgumentException("append to " + streamId + ": " + what
                        + " holds an unpaired surrogate at index " + i + ", which cannot be stored verbatim");
            }
        }
    }
}
