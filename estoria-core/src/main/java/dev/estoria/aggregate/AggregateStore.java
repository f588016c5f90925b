package dev.estoria.aggregate;

import dev.estoria.eventstore.StreamVersionMismatchException;
import java.util.UUID;

/**
 * Creates, loads and saves aggregates of one type.
 *
 * <p>Implementations are thread-safe; the aggregates they return are not (one per unit of work).
 *
 * @param <S> the state type
 * @param <E> the event supertype
 */
public interface AggregateStore<S, E> {

    /** The aggregate type this store handles. */
    AggregateType<S, E> type();

    /** A new aggregate with the given UUID: version 0, initial state. Nothing is written. */
    default Aggregate<S, E> create(UUID id) {
        return type().newAggregate(id);
    }

    /** A new aggregate with a fresh time-ordered UUID. Nothing is written. */
    default Aggregate<S, E> create() {
        return create(dev.estoria.typeid.TypeId.newV7(type().name()).uuid());
    }

    /**
     * Loads the latest version of an aggregate.
     *
     * @throws AggregateNotFoundException if it was never saved or its stream was deleted
     * @throws AggregateHydrationException if a stored event cannot be applied, or the events the
     *     state needs were truncated away and no snapshot holds it
     */
    default Aggregate<S, E> load(UUID id) {
        return load(id, 0);
    }

    /**
     * Loads an aggregate up to and including {@code toVersion}; 0 means the latest.
     *
     * @throws AggregateNotFoundException if it was never saved or its stream was deleted
     * @throws AggregateVersionNotReachedException if {@code toVersion} is past its latest version
     * @throws AggregateHydrationException if a stored event cannot be applied, or the events the
     *     state needs were truncated away and no snapshot holds it
     * @throws IllegalArgumentException if {@code toVersion} is negative
     */
    Aggregate<S, E> load(UUID id, long toVersion);

    /**
     * Applies to {@code aggregate} the stored events after its version, up to {@code toVersion} (0 =
     * the latest). Decorators use it to continue from a snapshot or a cached state.
     *
     * @throws AggregateNotFoundException if the stream does not exist
     * @throws AggregateVersionNotReachedException if {@code toVersion} is past the latest version
     * @throws IllegalStateException if the aggregate has pending events
     */
    void hydrate(Aggregate<S, E> aggregate, long toVersion);

    /**
     * Like {@link #hydrate}, for an aggregate restored from a snapshot or a cache entry: in the same
     * read, first checks that the stream still holds, at the aggregate's version, an event {@code
     * atVersion} accepts (the one the snapshot or entry was taken after). If it does not — the stream
     * was deleted and written again, or does not reach that version — the aggregate is left as it was
     * and the method returns false, so the caller can replay from the start instead. When the events
     * up to that version were truncated away, nothing can be checked and the events after it are
     * applied. When every event was truncated away, the aggregate is up to date if the stream stands
     * at its version; if the stream went further, the state cannot be rebuilt (as far as the store
     * can tell: only a {@link dev.estoria.eventstore.StreamLister} reports the version of a stream
     * without events).
     *
     * @return whether the aggregate was brought up to date
     * @throws AggregateNotFoundException if the stream does not exist
     * @throws AggregateHydrationException if every event was truncated away and the stream went past
     *     the aggregate's version
     */
    boolean hydrateIfStreamHolds(Aggregate<S, E> aggregate, long toVersion,
            java.util.function.Predicate<dev.estoria.eventstore.Event> atVersion);

    /**
     * Whether the stream of aggregate {@code id} still holds, at {@code version}, an event {@code
     * atVersion} accepts, with the same rules as {@link #hydrateIfStreamHolds}. A check, not a load:
     * decorators that act on loads (hooks) leave it alone.
     */
    default boolean streamHoldsAt(UUID id, long version, java.util.function.Predicate<dev.estoria.eventstore.Event> atVersion) {
        Aggregate<S, E> probe = type().restore(id, type().initialState(id), version);
        return hydrateIfStreamHolds(probe, version, atVersion); // applies nothing: toVersion is its version
    }

    /**
     * Saves the aggregate's pending events, expecting the stream to be at the aggregate's {@linkplain
     * Aggregate#storedVersion() stored version}.
     *
     * <p>Saving an aggregate without pending events does nothing, except for a new aggregate, which
     * is an error. On success the pending events become stored. When the save is refused the
     * aggregate is {@linkplain Aggregate#isDiscarded() discarded}; after an ambiguous backend failure
     * ({@link dev.estoria.eventstore.EventStoreException}) it is kept, and retrying the same save is
     * safe. A failure after the events were appended is recognisable with {@link
     * EventsAppendedException#isIn(Throwable)}.
     *
     * @throws StreamVersionMismatchException if another writer saved first (reload and retry)
     * @throws EventsAppendedException if the events were appended but a later step failed
     * @throws IllegalStateException if the aggregate is new with no events, or was discarded
     * @throws IllegalArgumentException if an event carries reserved metadata
     * @throws dev.estoria.eventstore.EventStoreException if the backend failed; retry the same save
     */
    void save(Aggregate<S, E> aggregate);
}
