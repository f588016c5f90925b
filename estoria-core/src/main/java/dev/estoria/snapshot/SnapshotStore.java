package dev.estoria.snapshot;

import dev.estoria.typeid.TypeId;
import java.util.Optional;

/**
 * Keeps snapshots of aggregates, keyed by the full aggregate ID (type and UUID: two aggregates
 * sharing a UUID never share snapshots).
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
}
