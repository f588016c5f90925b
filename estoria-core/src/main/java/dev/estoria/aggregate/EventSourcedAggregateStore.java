package dev.estoria.aggregate;

import dev.estoria.codec.CodecException;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamLister;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import java.util.function.Predicate;

/**
 * The base aggregate store: an aggregate is its event stream. Loading replays the stream; saving
 * appends the pending events with the aggregate's stored version as the expected version.
 *
 * <p>Each pending event is appended with the UUID it got when recorded, so a save retried after an
 * ambiguous failure (a timeout) is idempotent: the store returns the stored events instead of
 * appending them twice.
 *
 * @param <S> the state type
 * @param <E> the event supertype
 */
public final class EventSourcedAggregateStore<S, E> implements AggregateStore<S, E> {

    private final EventStore eventStore;
    private final AggregateType<S, E> type;

    /** A store of {@code type} aggregates kept in {@code eventStore}. */
    public EventSourcedAggregateStore(EventStore eventStore, AggregateType<S, E> type) {
        this.eventStore = Objects.requireNonNull(eventStore, "eventStore");
        this.type = Objects.requireNonNull(type, "type");
    }

    /** The event store the aggregates live in. */
    public EventStore eventStore() {
        return eventStore;
    }

    @Override
    public AggregateType<S, E> type() {
        return type;
    }

    @Override
    public Aggregate<S, E> load(UUID id, long toVersion) {
        if (toVersion < 0) {
            throw new IllegalArgumentException("toVersion must not be negative, was " + toVersion);
        }
        Aggregate<S, E> aggregate = type.newAggregate(id);
        hydrate(aggregate, toVersion);
        return aggregate;
    }

    @Override
    public void hydrate(Aggregate<S, E> aggregate, long toVersion) {
        hydrate(aggregate, toVersion, null);
    }

    @Override
    public boolean hydrateIfStreamHolds(Aggregate<S, E> aggregate, long toVersion, Predicate<Event> atVersion) {
        Objects.requireNonNull(atVersion, "atVersion");
        return hydrate(aggregate, toVersion, atVersion);
    }

    /**
     * Applies the events after the aggregate's version; with {@code atVersion}, reads from the
     * aggregate's own version and checks that event first, in the same read.
     */
    private boolean hydrate(Aggregate<S, E> aggregate, long toVersion, Predicate<Event> atVersion) {
        if (toVersion < 0) {
            throw new IllegalArgumentException("toVersion must not be negative, was " + toVersion);
        }
        aggregate.requireUsable();
        if (aggregate.hasPendingEvents()) {
            throw new IllegalStateException("aggregate " + aggregate.id() + " has unsaved events and cannot be hydrated");
        }
        long from = aggregate.version();
        if (toVersion > 0 && toVersion < from) {
            throw new IllegalArgumentException("aggregate " + aggregate.id() + " is already at version " + from
                    + ", past the requested version " + toVersion);
        }
        boolean verify = atVersion != null && from > 0;
        if (toVersion > 0 && toVersion == from && !verify) {
            return true;
        }
        long readFrom = verify ? from - 1 : from;
        long firstBeyond = 0; // the first event read past toVersion, if any
        ReadStreamOptions options = ReadStreamOptions.defaults().afterVersion(readFrom);
        if (toVersion > 0) {
            options = options.count(toVersion - readFrom);
        }
        try (StreamIterator events = eventStore.readStream(aggregate.id(), options)) {
            if (verify) {
                if (!events.hasNext()) {
                    // Nothing at or after the version: a shorter stream, or one truncated to empty.
                    events.close();
                    return reachesVersion(aggregate.id().uuid(), from);
                }
                Event first = events.next();
                if (first.streamVersion() == from) {
                    if (!atVersion.test(first)) {
                        return false;
                    }
                    aggregate.confirmStored(first.id());
                } else if (first.streamVersion() == from + 1) {
                    if (upTo(first, toVersion)) {
                        apply(aggregate, first); // the event at the version was truncated away
                    }
                } else {
                    return false;
                }
            }
            while (events.hasNext()) {
                Event next = events.next();
                if (!upTo(next, toVersion)) {
                    firstBeyond = next.streamVersion();
                    break; // the read takes one more than needed when it started below the version
                }
                apply(aggregate, next);
            }
        } catch (StreamNotFoundException e) {
            throw new AggregateNotFoundException(aggregate.id());
        }
        if (from == 0 && aggregate.version() == 0 && firstBeyond > 0) {
            throw new AggregateHydrationException(aggregate.id(), 1, "the events up to version " + (firstBeyond - 1)
                    + " were truncated away, so the state at version " + toVersion + " cannot be rebuilt", null);
        }
        if (from == 0 && aggregate.version() == 0) {
            // A stream comes to exist with its first event, so one that exists and holds none was
            // truncated to empty: its state cannot be rebuilt, and version 0 would be a lie that
            // every save then fails on.
            throw new AggregateHydrationException(aggregate.id(), 1, "the stream exists but every event was"
                    + " truncated away, and no snapshot holds its state", null);
        }
        if (toVersion > 0 && aggregate.version() < toVersion) {
            throw new AggregateVersionNotReachedException(aggregate.id(), toVersion, aggregate.version());
        }
        return true;
    }

    /** Whether {@code event} is within a hydration to {@code toVersion} (0: the tip). */
    private static boolean upTo(Event event, long toVersion) {
        return toVersion == 0 || event.streamVersion() <= toVersion;
    }

    private void apply(Aggregate<S, E> aggregate, Event stored) {
        E event = type.decode(stored);
        if (event == null) {
            aggregate.skipStored(stored.streamVersion(), stored.id());
        } else {
            aggregate.applyStored(event, stored.streamVersion(), stored.id());
        }
    }

    /**
     * Whether the stream, which holds no event from {@code version} on, stands at {@code version}
     * with the events up to it truncated away.
     *
     * @throws AggregateHydrationException if the stream went past the version and every event was
     *     truncated: the state after {@code version} cannot be rebuilt
     */
    private boolean reachesVersion(UUID id, long version) {
        TypeId streamId = type.streamId(id);
        try (StreamIterator events = eventStore.readStream(streamId,
                ReadStreamOptions.reverse().afterVersion(version).count(1))) {
            if (events.hasNext()) {
                return events.next().streamVersion() == version;
            }
        } catch (StreamNotFoundException e) {
            return false;
        }
        // The stream holds no event at all: it was truncated to empty. Only its tip tells whether it
        // stopped at this version, and only a store that lists its streams can tell the tip; others
        // are taken to have stopped here.
        if (!(eventStore instanceof StreamLister lister)) {
            return true;
        }
        long tip = lister.listStreams().stream().filter(info -> info.streamId().equals(streamId))
                .mapToLong(StreamInfo::version).findFirst().orElse(0);
        if (tip > version) {
            throw new AggregateHydrationException(streamId, version + 1, "the stream is at version " + tip
                    + " but every event was truncated away, those after version " + version + " too, so its state"
                    + " past version " + version + " cannot be rebuilt", null);
        }
        return tip == version;
    }

    @Override
    public void save(Aggregate<S, E> aggregate) {
        aggregate.requireUsable();
        List<PendingEvent<S, E>> pending = aggregate.pendingEvents();
        if (pending.isEmpty()) {
            if (aggregate.storedVersion() == 0) {
                throw new IllegalStateException("new aggregate " + aggregate.id() + " has no events to save");
            }
            return;
        }
        List<Event> written;
        List<WritableEvent> events = null;
        try {
            events = batch(aggregate, pending);
            written = eventStore.appendStream(aggregate.id(), events,
                    AppendStreamOptions.expectingVersion(aggregate.storedVersion()));
        } catch (EventStoreException e) {
            if (events != null) {
                aggregate.markInDoubt(events);
            }
            // Ambiguous: the append may or may not have landed. The aggregate stays as it is, so the
            // same save can be retried: its events keep their UUIDs, so a retry either writes them
            // or finds them stored, never both.
            throw e;
        } catch (RuntimeException e) {
            aggregate.discard();
            throw e;
        }
        if (written.size() != pending.size()) {
            aggregate.discard();
            throw new EventsAppendedException(aggregate.id(), aggregate.version(), "the event store reported "
                    + written.size() + " written events for " + pending.size() + " appended", null);
        }
        aggregate.markSaved(written.get(written.size() - 1).id());
    }

    /**
     * The batch to append for the pending events. After an ambiguous failure the batch then sent goes
     * again exactly as sent: before-save hooks ran again and may have changed the metadata (a
     * timestamp, an attempt number), and a batch that differs from the stored one would be a conflict
     * ({@code DuplicateEventIdException}) rather than the retry it is. Events recorded since make a
     * new batch, which a store that holds the first one refuses as a partial match.
     */
    private List<WritableEvent> batch(Aggregate<S, E> aggregate, List<PendingEvent<S, E>> pending) {
        List<WritableEvent> sent = aggregate.inDoubt();
        if (sent == null || sent.size() != pending.size()) {
            return encode(aggregate, pending);
        }
        for (int i = 0; i < sent.size(); i++) {
            if (!sent.get(i).eventId().orElseThrow().equals(pending.get(i).eventId())) {
                return encode(aggregate, pending);
            }
        }
        return sent;
    }

    private List<WritableEvent> encode(Aggregate<S, E> aggregate, List<PendingEvent<S, E>> pending) {
        List<WritableEvent> events = new ArrayList<>(pending.size());
        for (PendingEvent<S, E> p : pending) {
            byte[] data;
            try {
                data = type.codec().encode(p.event());
            } catch (CodecException e) {
                throw new CodecException("cannot encode " + p.event().getClass().getSimpleName() + " of aggregate "
                        + aggregate.id() + ": " + e.getMessage(), e);
            }
            events.add(new WritableEvent(type.eventTypeOf(p.event()), data, type.codec().contentType(),
                    p.metadata(), Optional.of(p.eventId())));
        }
        return events;
    }

    /** The stream ID of the aggregate with {@code id}. */
    public TypeId streamId(UUID id) {
        return type.streamId(id);
    }
}
