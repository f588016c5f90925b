package dev.estoria.aggregate;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;

/**
 * An event-sourced aggregate: an ID, a version and a state, plus the events recorded since it was
 * loaded.
 *
 * <p><b>Commands see their own changes.</b> {@link #record} applies the event to the state at once,
 * so later logic in the same command sees the new state and {@link #version()} counts the recorded
 * event. {@link #storedVersion()} stays at the version the store holds until a save succeeds; it is
 * the expectation the save is checked against.
 *
 * <p><b>A refused save discards the aggregate.</b> When a save is refused (a version conflict, a
 * duplicate event ID, bad input, an event that does not encode), the aggregate is never half-saved:
 * it is marked discarded and every later {@code record} or save throws {@link
 * IllegalStateException}. Load it again and rerun the command ({@link ConflictRetry} does this).
 * <b>An ambiguous failure</b> — an {@link dev.estoria.eventstore.EventStoreException} such as a
 * timeout, after which the events may or may not be stored — leaves the aggregate as it was: retry
 * the same save. Its events keep the UUIDs they got when recorded, so the retry writes them once or
 * finds them already stored. Rerunning the command on a fresh load instead could apply it twice.
 *
 * <p>Not thread-safe: an aggregate is a unit of work for one thread.
 *
 * @param <S> the state type
 * @param <E> the event supertype
 */
public final class Aggregate<S, E> {

    private final AggregateType<S, E> type;
    private final TypeId id;
    private S state;
    private long version;
    private long storedVersion;
    private TypeId lastEventId;
    private final List<PendingEvent<S, E>> pending = new ArrayList<>();
    private boolean discarded;
    /** The batch last sent in a save that failed ambiguously; a retry sends it again, byte for byte. */
    private List<WritableEvent> inDoubt;

    Aggregate(AggregateType<S, E> type, TypeId id, S state, long version) {
        this.type = type;
        this.id = id;
        this.state = state;
        this.version = version;
        this.storedVersion = version;
    }

    /** The aggregate's ID, which is its stream ID. */
    public TypeId id() {
        return id;
    }

    /** The aggregate type this aggregate belongs to. */
    public AggregateType<S, E> type() {
        return type;
    }

    /** The current state, including recorded events. */
    public S state() {
        return state;
    }

    /** The current version: the stored version plus the number of recorded events. */
    public long version() {
        return version;
    }

    /** The version the store holds, as loaded or last saved. */
    public long storedVersion() {
        return storedVersion;
    }

    /**
     * The ID of the stored event at {@link #storedVersion()}, when this aggregate read or wrote it;
     * caches use it to recognise a stream that was deleted and written again.
     */
    public java.util.Optional<TypeId> lastEventId() {
        return java.util.Optional.ofNullable(lastEventId);
    }

    /** The events recorded and not yet saved, oldest first. */
    public List<PendingEvent<S, E>> pendingEvents() {
        return List.copyOf(pending);
    }

    /** Whether events were recorded and not yet saved. */
    public boolean hasPendingEvents() {
        return !pending.isEmpty();
    }

    /** Whether a failed save discarded this aggregate; see the class comment. */
    public boolean isDiscarded() {
        return discarded;
    }

    /**
     * Records an event: applies it to the state at once and queues it for the next save.
     *
     * @throws IllegalArgumentException if the event's class is not registered with the type
     * @throws IllegalStateException if the aggregate was discarded
     */
    public void record(E event) {
        record(event, Map.of());
    }

    /**
     * Records an event with metadata. Keys starting with {@code estoria.} are reserved and make the
     * save fail.
     *
     * @throws IllegalArgumentException if the event's class is not registered with the type
     * @throws IllegalStateException if the aggregate was discarded
     */
    public void record(E event, Map<String, String> metadata) {
        requireUsable();
        Objects.requireNonNull(event, "event");
        // Checked before the event is applied: a refused record must leave the aggregate as it was.
        Map<String, String> checked;
        try {
            checked = Map.copyOf(Objects.requireNonNull(metadata, "metadata"));
        } catch (NullPointerException e) {
            throw new IllegalArgumentException("metadata of " + event.getClass().getSimpleName() + " recorded on "
                    + id + " must not be null nor hold null keys or values", e);
        }
        type.eventTypeOf(event);
        S next = type.apply(state, event);
        pending.add(new PendingEvent<>(TypeId.timeOrderedV7(System.currentTimeMillis()), event, checked, version + 1,
                next));
        state = next;
        version++;
    }

    /**
     * Merges metadata into every pending event, overwriting keys they already have: the place for
     * correlation and causation IDs, typically from a before-save hook.
     *
     * @throws IllegalArgumentException if the map holds a null key or value; the pending events are
     *     left as they were
     * @throws IllegalStateException if the aggregate was discarded
     * @throws NullPointerException if {@code metadata} is null
     */
    public void mergeMetadata(Map<String, String> metadata) {
        requireUsable();
        Objects.requireNonNull(metadata, "metadata");
        // Checked before any pending event changes, as record() checks its metadata.
        try {
            metadata = Map.copyOf(metadata);
        } catch (NullPointerException e) {
            throw new IllegalArgumentException("metadata merged into the pending events of " + id
                    + " must not hold null keys or values", e);
        }
        if (metadata.isEmpty()) {
            return;
        }
        for (int i = 0; i < pending.size(); i++) {
            PendingEvent<S, E> p = pending.get(i);
            Map<String, String> merged = new HashMap<>(p.metadata());
            merged.putAll(metadata);
            pending.set(i, new PendingEvent<>(p.eventId(), p.event(), merged, p.version(), p.stateAfter()));
        }
    }

    void requireUsable() {
        if (discarded) {
            throw new IllegalStateException("aggregate " + id + " was discarded after a failed save; load it again");
        }
    }

    /** Applies a stored event during hydration; requires the next version. */
    void applyStored(E event, long streamVersion, TypeId eventId) {
        checkNext(streamVersion);
        try {
            state = type.apply(state, event);
        } catch (RuntimeException e) {
            throw new AggregateHydrationException(id, streamVersion, "applying " + event.getClass().getSimpleName()
                    + " failed: " + e + "; applying a stored event must never fail", e);
        }
        version = streamVersion;
        storedVersion = streamVersion;
        lastEventId = eventId;
    }

    /** Advances past a stored event that was skipped (an unknown type, when skipping is on). */
    void skipStored(long streamVersion, TypeId eventId) {
        checkNext(streamVersion);
        version = streamVersion;
        storedVersion = streamVersion;
        lastEventId = eventId;
    }

    private void checkNext(long streamVersion) {
        if (!pending.isEmpty()) {
            throw new IllegalStateException("aggregate " + id + " has unsaved events and cannot be hydrated");
        }
        if (streamVersion != version + 1) {
            throw new AggregateHydrationException(id, streamVersion,
                    "event version gap: expected version " + (version + 1) + ", got " + streamVersion, null);
        }
    }

    /** Records the ID of the stored event at the current stored version, once a read confirmed it. */
    void confirmStored(TypeId eventId) {
        lastEventId = eventId;
    }

    List<WritableEvent> inDoubt() {
        return inDoubt;
    }

    void markInDoubt(List<WritableEvent> batch) {
        inDoubt = List.copyOf(batch);
    }

    void markSaved(TypeId lastWritten) {
        inDoubt = null;
        storedVersion = version;
        lastEventId = lastWritten;
        pending.clear();
    }

    void discard() {
        inDoubt = null;
        discarded = true;
    }

    @Override
    public String toString() {
        return "Aggregate[" + id + " v" + version + (pending.isEmpty() ? "" : ", " + pending.size() + " pending")
                + (discarded ? ", discarded" : "") + "]";
    }
}
