package dev.estoria.aggregate;

import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Runs hooks around loads and saves: before and after each, in registration order; the first hook
 * that throws stops the operation.
 *
 * <ul>
 *   <li>Load hooks run on every load, also when a decorator over this one (a cache, snapshots)
 *       continues a cached or snapshotted state through {@link #hydrateIfStreamHolds}.
 *   <li>A before-load hook that throws prevents the load; a before-save hook that throws prevents the
 *       save, and nothing is written (typical use: {@link Aggregate#mergeMetadata} to add
 *       correlation IDs).
 *   <li>After-hooks run only when the operation succeeded.
 *   <li>An after-save hook that throws does not hide that the events were appended: the failure is
 *       an {@link EventsAppendedException} with the hook's exception as its cause.
 * </ul>
 *
 * <p>Hooks are registered before the store is shared between threads.
 *
 * @param <S> the state type
 * @param <E> the event supertype
 */
public final class HookableAggregateStore<S, E> extends AggregateStoreDecorator<S, E> {

    private final List<Consumer<TypeId>> beforeLoad = new ArrayList<>();
    private final List<Consumer<Aggregate<S, E>>> afterLoad = new ArrayList<>();
    private final List<Consumer<Aggregate<S, E>>> beforeSave = new ArrayList<>();
    private final List<Consumer<Aggregate<S, E>>> afterSave = new ArrayList<>();

    public HookableAggregateStore(AggregateStore<S, E> inner) {
        super(inner);
    }

    /** Adds a hook that runs before each load with the aggregate's ID. */
    public HookableAggregateStore<S, E> beforeLoad(Consumer<TypeId> hook) {
        beforeLoad.add(Objects.requireNonNull(hook, "hook"));
        return this;
    }

    /** Adds a hook that runs after each successful load. */
    public HookableAggregateStore<S, E> afterLoad(Consumer<Aggregate<S, E>> hook) {
        afterLoad.add(Objects.requireNonNull(hook, "hook"));
        return this;
    }

    /** Adds a hook that runs before each save. */
    public HookableAggregateStore<S, E> beforeSave(Consumer<Aggregate<S, E>> hook) {
        beforeSave.add(Objects.requireNonNull(hook, "hook"));
        return this;
    }

    /** Adds a hook that runs after each successful save. */
    public HookableAggregateStore<S, E> afterSave(Consumer<Aggregate<S, E>> hook) {
        afterSave.add(Objects.requireNonNull(hook, "hook"));
        return this;
    }

    @Override
    public Aggregate<S, E> load(UUID id, long toVersion) {
        TypeId key = inner.type().streamId(id);
        beforeLoad.forEach(h -> h.accept(key));
        Aggregate<S, E> aggregate = inner.load(id, toVersion);
        afterLoad.forEach(h -> h.accept(aggregate));
        return aggregate;
    }

    /**
     * An outer decorator (a cache hit, a snapshot) loads through this: it is a load, so the load
     * hooks run. If the stream no longer holds the restored version, the caller tries an older
     * snapshot or falls back to {@link #load}, and the before-load hooks run again each time.
     */
    @Override
    public boolean hydrateIfStreamHolds(Aggregate<S, E> aggregate, long toVersion,
            java.util.function.Predicate<dev.estoria.eventstore.Event> atVersion) {
        beforeLoad.forEach(h -> h.accept(aggregate.id()));
        boolean current = inner.hydrateIfStreamHolds(aggregate, toVersion, atVersion);
        if (current) {
            afterLoad.forEach(h -> h.accept(aggregate));
        }
        return current;
    }

    @Override
    public void hydrate(Aggregate<S, E> aggregate, long toVersion) {
        beforeLoad.forEach(h -> h.accept(aggregate.id()));
        inner.hydrate(aggregate, toVersion);
        afterLoad.forEach(h -> h.accept(aggregate));
    }

    @Override
    public void save(Aggregate<S, E> aggregate) {
        aggregate.requireUsable();
        try {
            beforeSave.forEach(h -> h.accept(aggregate));
        } catch (RuntimeException e) {
            aggregate.discard();
            throw e;
        }
        boolean hadPending = aggregate.hasPendingEvents();
        inner.save(aggregate);
        if (!hadPending) {
            return;
        }
        try {
            afterSave.forEach(h -> h.accept(aggregate));
        } catch (RuntimeException e) {
            throw new EventsAppendedException(aggregate.id(), aggregate.storedVersion(),
                    "an after-save hook failed: " + e.getMessage(), e);
        }
    }
}
