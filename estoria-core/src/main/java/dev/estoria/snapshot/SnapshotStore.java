package dev.estoria.snapshot;

import dev.estoria.typeid.TypeId;
import java.util.Optional;

/**
 * Keeps snapshots of aggregates, keyed by the full aggregate ID (type and UUID: two aggregates
 * sharing a UUID never share snapshots).
 *
 * <p>A snapshot reads back as it was written, every component of it: its {@linkplain
 * Snapshot#eventId() event ID} too, which loads rely on to tell a stream's snapshot from one of a
 * deleted predecessor.
 *
 * <p>Implementations are thread-safe. A store may keep only some snapshots (see its retention);
 * callers must not assume a particular one survives.
 */
public interface SnapshotStore {

    /**
     * Returns the newest snapshot of the aggregate whose version is at most {@code maxVersion}, or
     * the newest of all when {@code maxVersion} is 0. Never returns a snapshot above {@code
     * maxVersion}.
     *
     * @throws IllegalArgumentException if {@code maxVersion} is negative
     * @throws dev.estoria.eventstore.EventStoreException if the backend fails
     */
    Optional<Snapshot> read(TypeId aggregateId, long maxVersion);

    /** Returns the newest snapshot of the aggregate. */
    default Optional<Snapshot> read(TypeId aggregateId) {
        return read(aggregateId, 0);
    }

    /**
     * Stores a snapshot. A store may ignore a snapshot below the newest version it holds for the
     * aggregate, and one equal to a snapshot it holds at the same version; readers must therefore not
     * rely on an older snapshot written late being kept. A snapshot at a version the store holds with
     * other data replaces it for reads: the aggregate's stream was deleted and written again, and the
     * stored one is its predecessor's.
     *
     * @throws dev.estoria.eventstore.EventStoreException if the backend fails
     */
    void write(Snapshot snapshot);

    /**
     * Deletes every snapshot of the aggregate, so no state of it outlives the deletion of its stream
     * (personal data to erase, say). Snapshots of other aggregates are kept, including those of an
     * aggregate of another type with the same UUID. A snapshot written after the deletion is stored
     * as any other; one written concurrently with it may be kept or not.
     *
     * <p>Delete the stream first, then its snapshots: a save between the two could otherwise take a
     * new snapshot of the state about to be deleted.
     *
     * @return whether the store held any snapshot of the aggregate
     * @throws UnsupportedOperationException if this store cannot delete (an {@link
     *     EventStreamSnapshotStore} over an event store that is not a {@link
     *     dev.estoria.eventstore.StreamDeleter})
     * @throws dev.estoria.eventstore.EventStoreException if the backend fails
     */
    boolean delete(TypeId aggregateId);
}
