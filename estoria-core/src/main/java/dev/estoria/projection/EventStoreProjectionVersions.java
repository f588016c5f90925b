package dev.estoria.projection;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.ExpectedVersion;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Objects;
import java.util.OptionalInt;
import java.util.UUID;

/**
 * {@link ProjectionVersions} kept in any event store: each projection has a stream {@code
 * estoria.projection_<uuid>} (the UUID derived from its name) whose events record each activation, so
 * the history of promotions is kept and durable wherever the store is. The internal stream type keeps
 * these streams out of projections by default.
 */
public final class EventStoreProjectionVersions implements ProjectionVersions {

    /** The stream type of activation streams. */
    public static final String STREAM_TYPE = "estoria.projection";
    /** The event type of an activation; its payload is the version in decimal. */
    public static final String ACTIVATED = "versionactivated";

    private final EventStore store;

    public EventStoreProjectionVersions(EventStore store) {
        this.store = Objects.requireNonNull(store, "store");
    }

    /** The stream recording the activations of projection {@code name}. */
    public static TypeId streamId(String name) {
        return new TypeId(STREAM_TYPE, UUID.nameUUIDFromBytes(("projection:" + name).getBytes(StandardCharsets.UTF_8)));
    }

    @Override
    public OptionalInt active(String name) {
        try (StreamIterator events = store.readStream(streamId(name), ReadStreamOptions.reverse().count(1))) {
            if (!events.hasNext()) {
                return OptionalInt.empty();
            }
            return OptionalInt.of(versionOf(events.next()));
        } catch (StreamNotFoundException e) {
            return OptionalInt.empty();
        }
    }

    @Override
    public void activate(ProjectionId id) {
        TypeId stream = streamId(id.name());
        WritableEvent event = WritableEvent.of(ACTIVATED, Integer.toString(id.version()).getBytes(StandardCharsets.UTF_8))
                .withContentType("text/plain");
        // A stream truncated to empty reads as empty but keeps its version: the last mismatch says it.
        long emptyTip = 0;
        while (true) {
            long tip = emptyTip;
            try (StreamIterator events = store.readStream(stream, ReadStreamOptions.reverse().count(1))) {
                if (events.hasNext()) {
                    Event last = events.next();
                    if (versionOf(last) == id.version()) {
                        return;
                    }
                    tip = last.streamVersion();
                }
            } catch (StreamNotFoundException e) {
                tip = 0;
            }
            try {
                store.appendStream(stream, List.of(event), AppendStreamOptions.expecting(ExpectedVersion.exact(tip)));
                return;
            } catch (StreamVersionMismatchException e) {
                // Another process activated a version meanwhile, or the stream was truncated; look again.
                emptyTip = e.actualVersion();
            }
        }
    }

    private static int versionOf(Event event) {
        return Integer.parseInt(new String(event.data(), StandardCharsets.UTF_8).trim());
    }
}
