package dev.estoria.snapshot;

import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Snapshots held in memory, for tests and prototyping. Thread-safe. Snapshots are immutable values,
 * so neither the writer nor a reader can change a stored one. A {@link RetentionPolicy} chosen at
 * construction decides what is kept after each write.
 */
public final class InMemorySnapshotStore implements SnapshotStore {

    private final RetentionPolicy retention;
    private final Map<TypeId, TreeMap<Long, Snapshot>> snapshots = new HashMap<>();

    private InMemorySnapshotStore(RetentionPolicy retention) {
        this.retention = Objects.requireNonNull(retention, "retention");
    }

    /** A store that keeps every snapshot. */
    public static InMemorySnapshotStore create() {
        return new InMemorySnapshotStore(RetentionPolicy.keepAll());
    }

    /** A store that keeps what {@code retention} keeps. */
    public static InMemorySnapshotStore withRetention(RetentionPolicy retention) {
        return new InMemorySnapshotStore(retention);
    }

    @Override
    public synchronized Optional<Snapshot> read(TypeId aggregateId, long maxVersion) {
        Objects.requireNonNull(aggregateId, "aggregateId");
        if (maxVersion < 0) {
            throw new IllegalArgumentException("maxVersion must not be negative, was " + maxVersion);
        }
        TreeMap<Long, Snapshot> versions = snapshots.get(aggregateId);
        if (versions == null) {
            return Optional.empty();
        }
        Map.Entry<Long, Snapshot> entry = maxVersion == 0 ? versions.lastEntry() : versions.floorEntry(maxVersion);
        return entry == null ? Optional.empty() : Optional.of(entry.getValue());
    }

    @Override
    public synchronized void write(Snapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        TreeMap<Long, Snapshot> versions = snapshots.computeIfAbsent(snapshot.aggregateId(), k -> new TreeMap<>());
        versions.put(snapshot.version(), snapshot);
        List<Snapshot> all = new ArrayList<>(versions.values());
        for (int i = 0; i < all.size(); i++) {
            if (!retention.retain(all.get(i), i, all.size())) {
                versions.remove(all.get(i).version());
            }
        }
        if (versions.isEmpty()) {
            snapshots.remove(snapshot.aggregateId());
        }
    }

    @Override
    public synchronized boolean delete(TypeId aggregateId) {
        Objects.requireNonNull(aggregateId, "aggregateId");
        return snapshots.remove(aggregateId) != null;
    }
}
