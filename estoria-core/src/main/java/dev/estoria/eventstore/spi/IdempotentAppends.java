package dev.estoria.eventstore.spi;

import dev.estoria.eventstore.DuplicateEventIdException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.util.List;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.function.Function;

/**
 * Decides whether an append whose events carry caller-chosen IDs is new, a retry of an append that
 * is already stored, or a conflict. Every store makes the same decision with this class, so the
 * rule of {@link dev.estoria.eventstore.StreamWriter#appendStream} holds everywhere.
 */
public final class IdempotentAppends {

    private IdempotentAppends() {
    }

    /**
     * Classifies a validated batch against what the store holds.
     *
     * @param streamId the stream the batch is appended to
     * @param batch the validated batch
     * @param lookup where a stored event with the given UUID lives, or null if none is stored
     * @return empty if none of the batch's chosen IDs is stored (append normally); otherwise the
     *     version of the first stored event when the whole batch is already stored, consecutively
     *     and in order, in {@code streamId} (return the stored events, write nothing)
     * @throws DuplicateEventIdException if a chosen ID is stored elsewhere, or the batch matches
     *     only in part
     */
    public static OptionalLong classify(TypeId streamId, List<WritableEvent> batch, Function<UUID, EventLocation> lookup) {
        UUID firstStored = null;
        EventLocation firstLocation = null;
        int storedCount = 0;
        boolean allChosen = true;
        for (WritableEvent event : batch) {
            if (event.eventId().isEmpty()) {
                allChosen = false;
                continue;
            }
            UUID id = event.eventId().get();
            EventLocation location = lookup.apply(id);
            if (location == null) {
                continue;
            }
            if (!location.streamId().equals(streamId)) {
                throw new DuplicateEventIdException(streamId, id,
                        "already stored in stream " + location.streamId() + " at version " + location.streamVersion());
            }
            if (firstStored == null) {
                firstStored = id;
                firstLocation = location;
            }
            storedCount++;
        }
        if (firstStored == null) {
            return OptionalLong.empty();
        }
        if (!allChosen || storedCount != batch.size()) {
            throw partial(streamId, firstStored, firstLocation);
        }
        long first = firstLocation.streamVersion();
        for (int i = 0; i < batch.size(); i++) {
            UUID id = batch.get(i).eventId().orElseThrow();
            EventLocation location = lookup.apply(id);
            if (location.streamVersion() != first + i) {
                throw new DuplicateEventIdException(streamId, id, "already stored at version " + location.streamVersion()
                        + ", but a retry of the same append would have it at version " + (first + i));
            }
        }
        return OptionalLong.of(first);
    }

    private static DuplicateEventIdException partial(TypeId streamId, UUID id, EventLocation location) {
        return new DuplicateEventIdException(streamId, id, "already stored at version " + location.streamVersion()
                + ", but the rest of the batch is not, so the append is neither new nor a retry");
    }

    /**
     * Checks that a retry repeats the stored events: same types, payloads, content types and
     * metadata. A batch that reuses stored IDs with other content is a client bug, not a retry, and
     * must not silently succeed.
     *
     * @param stored the stored events {@link #classify} matched, in batch order
     * @throws DuplicateEventIdException naming the first event whose content differs
     */
    public static void requireSameContent(TypeId streamId, List<WritableEvent> batch, List<Event> stored) {
        for (int i = 0; i < batch.size(); i++) {
            WritableEvent w = batch.get(i);
            Event e = stored.get(i);
            String difference = null;
            if (!w.type().equals(e.type())) {
                difference = "type '" + e.type() + "' is stored, the retry has '" + w.type() + "'";
            } else if (!java.util.Arrays.equals(w.data(), e.data())) {
                difference = "the stored payload differs";
            } else if (!w.contentType().equals(e.contentType())) {
                difference = "content type '" + e.contentType() + "' is stored, the retry has '" + w.contentType() + "'";
            } else if (!w.metadata().equals(e.metadata())) {
                difference = "the stored metadata differs";
            }
            if (difference != null) {
                throw new DuplicateEventIdException(streamId, e.id().uuid(), "already stored at version "
                        + e.streamVersion() + " with other content (" + difference
                        + "); a retry must repeat the same events");
            }
        }
    }
}
