package dev.estoria.aggregate;

import dev.estoria.codec.Codec;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.snapshot.SnapshotPolicy;
import dev.estoria.snapshot.SnapshotStore;
import dev.estoria.typeid.TypeId;
import java.lang.System.Logger.Level;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Loads aggregates from their newest usable snapshot plus the events after it, and takes snapshots
 * as saves cross the versions a {@link SnapshotPolicy} picks.
 *
 * <ul>
 *   <li>A snapshot is only a shortcut: one that does not decode, or whose content type is declared
 *       and differs from the codec's, is skipped (logged). So is a snapshot that predates the stream
 *       it is read for: one whose version the stream does not reach, or whose event at that version
 *       is younger than the snapshot (the stream was deleted and written again). A load then tries
 *       the next older snapshot, up to eight in all, and replays the whole stream only when none of
 *       them is usable: a stream truncated up to its own snapshot stays loadable even when a newer,
 *       unusable snapshot lies above it. A snapshot that names its {@linkplain Snapshot#eventId()
 *       event} is this stream's only if the stream holds that event at its version; one that does
 *       not (written before snapshots named it) is judged by time: its event must be no younger
 *       than the snapshot, which clocks that disagree across processes can mislead.
 *   <li>A versioned load uses the newest usable snapshot at or below that version.
 *   <li>Snapshots are taken of the exact state at each chosen version, even when one save crosses
 *       several. A snapshot failure is logged and never fails the save. Before writing a snapshot,
 *       the save reads the one event at its version and writes nothing (logged) unless it is the
 *       event the save appended: a save overtaken by a deletion and rewrite of its stream must not
 *       leave the deleted stream's state behind as a snapshot of the new one.
 *   <li>The aggregate's state type must be decodable by the codec (records are, with Jackson).
 * </ul>
 *
 * @param <S> the state type
 * @param <E> the event supertype
 */
public final class SnapshottingAggregateStore<S, E> extends AggregateStoreDecorator<S, E> {

    private static final System.Logger LOG = System.getLogger(SnapshottingAggregateStore.class.getName());
    /**
     * How many snapshots one load tries, newest first, before replaying the stream: each costs a
     * snapshot read and a one-event stream read, so a long run of unusable ones (a predecessor
     * stream's, far past this one's tip) must not cost more than the replay saves.
     */
    private static final int MAX_SNAPSHOTS_TRIED = 8;

    private final SnapshotStore snapshots;
    private final SnapshotPolicy policy;
    private final Class<S> stateClass;
    private final Codec codec;
    private final Clock clock;

    /**
     * Decorates {@code inner}, encoding state with the aggregate type's codec.
     *
     * @param stateClass the class the codec decodes snapshots into
     */
    public SnapshottingAggregateStore(AggregateStore<S, E> inner, SnapshotStore snapshots, SnapshotPolicy policy,
            Class<S> stateClass) {
        this(inner, snapshots, policy, stateClass, inner.type().codec(), Clock.systemUTC());
    }

    /** Decorates {@code inner} with an explicit state codec and clock. */
    public SnapshottingAggregateStore(AggregateStore<S, E> inner, SnapshotStore snapshots, SnapshotPolicy policy,
            Class<S> stateClass, Codec codec, Clock clock) {
        super(inner);
        this.snapshots = Objects.requireNonNull(snapshots, "snapshots");
        this.policy = Objects.requireNonNull(policy, "policy");
        this.stateClass = Objects.requireNonNull(stateClass, "stateClass");
        this.codec = Objects.requireNonNull(codec, "codec");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public Aggregate<S, E> load(UUID id, long toVersion) {
        if (toVersion < 0) {
            throw new IllegalArgumentException("toVersion must not be negative, was " + toVersion);
        }
        // Walks down from the newest snapshot: an unusable one (a predecessor stream's, or one a newer
        // deployment encoded) must not hide an older usable one, which may be all that is left of
        // the state once the events it covers were truncated away.
        long maxVersion = toVersion;
        // Set once a snapshot predates the stream: the stream was deleted after it was taken, so one
        // taken no later is its predecessor's too. That must be decided here, since the check against
        // the stream cannot be made for a snapshot whose event was truncated away.
        Instant predecessorsUntil = null;
        for (int tried = 0; tried < MAX_SNAPSHOTS_TRIED; tried++) {
            Optional<Snapshot> found = readSnapshot(id, maxVersion);
            if (found.isEmpty()) {
                break;
            }
            Snapshot snapshot = found.get();
            Instant takenAt = snapshot.timestamp();
            // Taken no later than a predecessor's snapshot, it is a predecessor's too, unless the
            // stream holds the event it names: a clock running ahead may have stamped the other.
            boolean predecessor = predecessorsUntil != null && !takenAt.isAfter(predecessorsUntil)
                    && !(snapshot.eventId() != null && streamHoldsItsEvent(id, snapshot));
            Optional<Aggregate<S, E>> restored = predecessor ? Optional.empty() : restore(id, snapshot);
            if (restored.isPresent()) {
                // The event at the snapshot's version must be the one the snapshot was taken at: a
                // stream deleted and written again holds another there, or none. Without its ID, that
                // event must at least be older than the snapshot.
                UUID takenAtEvent = snapshot.eventId();
                if (inner.hydrateIfStreamHolds(restored.get(), toVersion, takenAtEvent != null
                        ? event -> event.id().uuid().equals(takenAtEvent)
                        : event -> !event.timestamp().isAfter(takenAt))) {
                    return restored.get();
                }
                LOG.log(Level.WARNING, "snapshot of " + snapshot.aggregateId() + " at version " + snapshot.version()
                        + " predates the stream (deleted and written again?); trying an older one");
                predecessorsUntil = predecessorsUntil == null || takenAt.isAfter(predecessorsUntil)
                        ? takenAt : predecessorsUntil;
            }
            if (snapshot.version() == 1) {
                break; // maxVersion 0 would mean the newest again
            }
            maxVersion = snapshot.version() - 1;
        }
        return inner.load(id, toVersion);
    }

    /** The newest snapshot at or below {@code maxVersion} (0: the newest); empty if the read fails. */
    private Optional<Snapshot> readSnapshot(UUID id, long maxVersion) {
        TypeId streamId = inner.type().streamId(id);
        try {
            return snapshots.read(streamId, maxVersion);
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "reading the snapshot of " + streamId + " failed; replaying events", e);
            return Optional.empty();
        }
    }

    /** The aggregate at the snapshot's state and version, if the snapshot is in this codec and decodes. */
    private Optional<Aggregate<S, E>> restore(UUID id, Snapshot snapshot) {
        if (!snapshot.contentType().isEmpty() && !snapshot.contentType().equals(codec.contentType())) {
            LOG.log(Level.WARNING, "snapshot of " + snapshot.aggregateId() + " at version " + snapshot.version()
                    + " has content type '" + snapshot.contentType() + "', not '" + codec.contentType()
                    + "'; skipping it");
            return Optional.empty();
        }
        try {
            S state = Objects.requireNonNull(codec.decode(snapshot.data(), stateClass), "decoded state");
            return Optional.of(inner.type().restore(id, state, snapshot.version()));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "snapshot of " + snapshot.aggregateId() + " at version " + snapshot.version()
                    + " does not decode; skipping it", e);
            return Optional.empty();
        }
    }

    /**
     * Whether the stream holds, at the snapshot's version, the event the snapshot names: that event
     * itself, not one truncated away there, whose absence cannot tell whose snapshot it is.
     */
    private boolean streamHoldsItsEvent(UUID id, Snapshot snapshot) {
        boolean[] seen = {false};
        try {
            boolean holds = inner.streamHoldsAt(id, snapshot.version(), event -> {
                seen[0] = true;
                return event.id().uuid().equals(snapshot.eventId());
            });
            return holds && seen[0];
        } catch (AggregateHydrationException e) {
            return false; // every event truncated away: nothing to compare with
        }
    }

    /** Whether the stream holds the event {@code p} was saved as, at its version. */
    private boolean streamHolds(UUID id, PendingEvent<S, E> p) {
        return inner.streamHoldsAt(id, p.version(), event -> event.id().uuid().equals(p.eventId()));
    }

    @Override
    public void save(Aggregate<S, E> aggregate) {
        List<PendingEvent<S, E>> pending = aggregate.pendingEvents();
        inner.save(aggregate);
        for (PendingEvent<S, E> p : pending) {
            if (policy.shouldSnapshot(aggregate.id(), p.version())) {
                try {
                    // Stamped before checking that the stream still holds this save's event at the
                    // version: a stream deleted and written again after the check has a younger
                    // event there, so loads skip this snapshot. Stamped after the check instead, it
                    // would pass for the successor's state.
                    Instant takenAt = clock.instant();
                    if (!streamHolds(aggregate.id().uuid(), p)) {
                        LOG.log(Level.WARNING, "not taking the snapshot of " + aggregate.id() + " at version "
                                + p.version() + ": the stream no longer holds the saved event there (deleted and"
                                + " written again?)");
                        continue;
                    }
                    snapshots.write(new Snapshot(aggregate.id(), p.version(), takenAt,
                            codec.encode(p.stateAfter()), codec.contentType(), p.eventId()));
                } catch (RuntimeException e) {
                    LOG.log(Level.WARNING, "snapshot of " + aggregate.id() + " at version " + p.version()
                            + " failed; the save stands", e);
                }
            }
        }
    }
}
