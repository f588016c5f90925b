package dev.estoria.snapshot;

/**
 * Decides which snapshots of one aggregate a store keeps after a write.
 *
 * <p>The store passes each snapshot with its index among the aggregate's snapshots in ascending
 * version order and their total count.
 */
@FunctionalInterface
public interface RetentionPolicy {

    /** Whether to keep {@code snapshot}, the {@code index}-th of {@code total} (oldest first). */
    boolean retain(Snapshot snapshot, int index, int total);

    /** Keeps every snapshot. */
    static RetentionPolicy keepAll() {
        return (snapshot, index, total) -> true;
    }

    /**
     * Keeps the newest {@code n} snapshots.
     *
     * @throws IllegalArgumentException if {@code n} is below 1
     */
    static RetentionPolicy keepLast(int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
        return (snapshot, index, total) -> index >= total - n;
    }

    /** Keeps snapshots at or above {@code minVersion}. */
    static RetentionPolicy minVersion(long minVersion) {
        return (snapshot, index, total) -> snapshot.version() >= minVersion;
    }

    /** Keeps what both policies keep. */
    default RetentionPolicy and(RetentionPolicy other) {
        return (snapshot, index, total) -> retain(snapshot, index, total) && other.retain(snapshot, index, total);
    }
}
