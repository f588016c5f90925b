package dev.estoria.sqlite;

import dev.estoria.eventstore.EventStoreException;
import dev.estoria.projection.Checkpoint;
import dev.estoria.projection.CheckpointStore;
import dev.estoria.projection.ProjectionId;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Projection checkpoints in the file of a {@link SqliteEventStore}, in its {@code
 * estoria_checkpoints} table: one row per projection name and version, holding the position and
 * when it was last saved.
 *
 * <p>{@link #save} and {@link #delete} go through the store's write queue and share its group
 * commits, so they never conflict with appends, and they return once committed with the store's
 * {@linkplain SqliteOptions#durability() durability}. Reads use the store's read connections.
 * Saving is last-write-wins (a lower position overwrites a higher one); {@code updatedAt} is the
 * time of the save to the microsecond, and strictly increases for a checkpoint even when two saves
 * fall within one microsecond or the clock steps back. Several store instances and processes on
 * the same file share the checkpoints.
 *
 * <p>To keep a read model and its checkpoint in one transaction, see {@link SqliteProjectionRunner},
 * which keeps its checkpoints in the same table. The store must stay open while this is used;
 * afterwards every call fails with an {@link EventStoreException}. Thread-safe.
 */
public final class SqliteCheckpointStore implements CheckpointStore {

    private final SqliteEventStore store;
    private final Clock clock;

    private SqliteCheckpointStore(SqliteEventStore store, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = clock;
    }

    /** The checkpoints kept in {@code store}'s file. */
    public static SqliteCheckpointStore of(SqliteEventStore store) {
        return new SqliteCheckpointStore(store, Clock.systemUTC());
    }

    /** The checkpoints kept in {@code store}'s file, timed by {@code clock}. */
    static SqliteCheckpointStore of(SqliteEventStore store, Clock clock) {
        return new SqliteCheckpointStore(store, Objects.requireNonNull(clock, "clock"));
    }

    /** @throws EventStoreException if the read fails */
    @Override
    public Optional<Checkpoint> load(ProjectionId id) {
        Objects.requireNonNull(id, "id");
        return store.read("loading the checkpoint of " + id,
                reader -> CheckpointTable.load(reader.prepare(CheckpointTable.LOAD), id));
    }

    /**
     * @throws IllegalArgumentException if {@code position} is negative; nothing is written
     * @throws EventStoreException if the write fails
     */
    @Override
    public void save(ProjectionId id, long position) {
        Objects.requireNonNull(id, "id");
        if (position < 0) {
            throw new IllegalArgumentException("position must not be negative, was " + position);
        }
        store.writeShared(connection -> {
            CheckpointTable.save(connection, id, position, clock);
            return null;
        });
    }

    /** @throws EventStoreException if the write fails */
    @Override
    public boolean delete(ProjectionId id) {
        Objects.requireNonNull(id, "id");
        return store.writeShared(connection -> CheckpointTable.delete(connection, id));
    }

    /** @throws EventStoreException if the read fails or a row is damaged */
    @Override
    public List<Checkpoint> list() {
        return store.read("listing checkpoints", reader -> {
            try {
                return CheckpointTable.list(reader.prepare(CheckpointTable.LIST));
            } catch (IllegalArgumentException e) {
                throw new EventStoreException("a checkpoint row in " + store.file() + " is damaged: " + e.getMessage(), e);
            }
        });
    }

    @Override
    public String toString() {
        return "SqliteCheckpointStore[" + store.file() + "]";
    }
}
