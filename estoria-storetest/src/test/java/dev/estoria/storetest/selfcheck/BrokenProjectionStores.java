package dev.estoria.storetest.selfcheck;

import dev.estoria.projection.Checkpoint;
import dev.estoria.projection.CheckpointStore;
import dev.estoria.projection.InMemoryCheckpointStore;
import dev.estoria.projection.ProjectionId;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.snapshot.InMemorySnapshotStore;
import dev.estoria.snapshot.SnapshotStore;
import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Broken snapshot and checkpoint stores. */
final class BrokenProjectionStores {

    private BrokenProjectionStores() {
    }

    /**
     * Keeps one snapshot per aggregate, the last one written ("INSERT OR REPLACE" keyed by the
     * aggregate): a late save of an older version replaces the newer snapshot.
     */
    static final class LastWrittenSnapshotStore implements SnapshotStore {
        private final Map<TypeId, Snapshot> rows = new ConcurrentHashMap<>();

        @Override
        public Optional<Snapshot> read(TypeId aggregateId, long maxVersion) {
            Objects.requireNonNull(aggregateId, "aggregateId");
            if (maxVersion < 0) {
                throw new IllegalArgumentException("maxVersion must not be negative, was " + maxVersion);
            }
            Snapshot s = rows.get(aggregateId);
            if (s == null || (maxVersion != 0 && s.version() > maxVersion)) {
                return Optional.empty();
            }
            return Optional.of(s);
        }

        @Override
        public void write(Snapshot snapshot) {
            rows.put(snapshot.aggregateId(), snapshot); // BUG: last write wins, whatever the version
        }

        @Override
        public boolean delete(TypeId aggregateId) {
            return rows.remove(aggregateId) != null;
        }
    }

    /**
     * Deletes snapshots by UUID alone ("DELETE ... WHERE aggregate_uuid = ?"), taking those of
     * another aggregate type with the same UUID along.
     */
    static final class DeletesByUuidSnapshotStore implements SnapshotStore {
        private final InMemorySnapshotStore delegate = InMemorySnapshotStore.create();
        private final List<TypeId> written = new java.util.concurrent.CopyOnWriteArrayList<>();

        @Override
        public Optional<Snapshot> read(TypeId aggregateId, long maxVersion) {
            return delegate.read(aggregateId, maxVersion);
        }

        @Override
        public void write(Snapshot snapshot) {
            written.add(snapshot.aggregateId());
            delegate.write(snapshot);
        }

        @Override
        public boolean delete(TypeId aggregateId) {
            boolean any = false;
            for (TypeId id : written) {
                if (id.uuid().equals(aggregateId.uuid())) { // BUG: the type is not compared
                    any |= delegate.delete(id);
                }
            }
            return any;
        }
    }

    /** A checkpoint store whose list() comes back in no particular order (a SELECT without ORDER BY). */
    static final class UnorderedListCheckpointStore implements CheckpointStore {
        private final InMemoryCheckpointStore delegate = InMemoryCheckpointStore.create();

        @Override
        public Optional<Checkpoint> load(ProjectionId id) {
            return delegate.load(id);
        }

        @Override
        public void save(ProjectionId id, long position) {
            delegate.save(id, position);
        }

        @Override
        public boolean delete(ProjectionId id) {
            return delegate.delete(id);
        }

        @Override
        public List<Checkpoint> list() {
            List<Checkpoint> all = new ArrayList<>(delegate.list());
            // BUG: the order is whatever the storage happens to return (here: reversed).
            all.sort(Comparator.comparing((Checkpoint c) -> c.projectionId().name())
                    .thenComparingInt(c -> c.projectionId().version()).reversed());
            return all;
        }
    }
}
