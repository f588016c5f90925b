package dev.estoria.snapshot;

import dev.estoria.typeid.TypeId;

/** Decides at which versions an aggregate is snapshotted. */
@FunctionalInterface
public interface SnapshotPolicy {

    /** Whether to snapshot {@code aggregateId} at {@code version}. */
    boolean shouldSnapshot(TypeId aggregateId, long version);

    /**
     * Snapshots at every multiple of {@code n} (n, 2n, ...), including versions crossed inside one
     * save.
     *
     * @throws IllegalArgumentException if {@code n} is below 1
     */
    static SnapshotPolicy everyNEvents(long n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
        return (id, version) -> version > 0 && version % n == 0;
    }

    /** Never snapshots. */
    static SnapshotPolicy never() {
        return (id, version) -> false;
    }
}
