package dev.estoria.postgres;

import dev.estoria.projection.Checkpoint;
import dev.estoria.projection.CheckpointStore;
import dev.estoria.projection.ProjectionId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Projection checkpoints in the {@code checkpoints} table of a {@link PostgresEventStore}'s schema,
 * over the store's connection pool: one row per projection name and version. Thread-safe, and safe
 * across processes.
 *
 * <p>A save is an upsert, last write wins, durable when it returns. {@code updatedAt} comes from the
 * server's clock ({@code clock_timestamp()}), so the checkpoints of processes on different hosts
 * compare on one clock; it strictly increases per row: a save that lands in the same microsecond as
 * the previous one (or after the server clock stepped back) gets the previous value plus one
 * microsecond. The row lock of the upsert orders concurrent saves, so this holds across processes.
 *
 * <p>{@link PostgresProjectionRunner} saves into the same table inside its batch transactions; a
 * checkpoint written by either is read by both.
 *
 * <p>Works while its event store is open; backend failures throw {@link
 * dev.estoria.eventstore.EventStoreException}.
 */
public final class PostgresCheckpointStore implements CheckpointStore {

    private final PostgresEventStore store;
    private final Schema schema;

    private PostgresCheckpointStore(PostgresEventStore store) {
        this.store = Objects.requireNonNull(store, "store");
        this.schema = store.schema();
    }

    /** Checkpoints in {@code store}'s schema. */
    public static PostgresCheckpointStore of(PostgresEventStore store) {
        return new PostgresCheckpointStore(store);
    }

    @Override
    public Optional<Checkpoint> load(ProjectionId id) {
        Objects.requireNonNull(id, "id");
        Connection c = null;
        try {
            c = store.beginTransaction();
            Optional<Checkpoint> found = load(c, schema, id);
            c.commit();
            return found;
        } catch (SQLException e) {
            throw store.failure("loading the checkpoint of projection " + id, e);
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }

    static Optional<Checkpoint> load(Connection c, Schema schema, ProjectionId id) throws SQLException {
        try (PreparedStatement s = c.prepareStatement("SELECT position, updated_at FROM " + schema.checkpoints()
                + " WHERE projection_name = ? AND projection_version = ?")) {
            s.setString(1, id.name());
            s.setInt(2, id.version());
            try (ResultSet rs = s.executeQuery()) {
                return rs.next()
                        ? Optional.of(new Checkpoint(id, rs.getLong(1), rs.getObject(2, OffsetDateTime.class).toInstant()))
                        : Optional.empty();
            }
        }
    }

    @Override
    public void save(ProjectionId id, long position) {
        Objects.requireNonNull(id, "id");
        if (position < 0) {
            throw new IllegalArgumentException("position must not be negative, was " + position);
        }
        Connection c = null;
        try {
            c = store.beginTransaction();
            upsert(c, schema, id, position, -1);
            c.commit();
        } catch (SQLException e) {
            PostgresEventStore.rollbackQuietly(c);
            throw store.failure("saving the checkpoint of projection " + id + " at position " + position, e);
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }

    /**
     * Upserts the checkpoint in the caller's transaction. With {@code expected >= 0}, an existing
     * row is updated only while it still holds {@code expected}.
     *
     * @return the new {@code updatedAt}, or empty when {@code expected} did not match (nothing was
     *     written)
     */
    static Optional<Instant> upsert(Connection c, Schema schema, ProjectionId id, long position, long expected)
            throws SQLException {
        try (PreparedStatement s = c.prepareStatement("INSERT INTO " + schema.checkpoints() + " AS k"
                + " (projection_name, projection_version, position, updated_at) VALUES (?, ?, ?, clock_timestamp())"
                + " ON CONFLICT (projection_name, projection_version) DO UPDATE SET position = EXCLUDED.position,"
                + " updated_at = greatest(clock_timestamp(), k.updated_at + interval '1 microsecond')"
                + (expected >= 0 ? " WHERE k.position = ?" : "") + " RETURNING k.updated_at")) {
            s.setString(1, id.name());
            s.setInt(2, id.version());
            s.setLong(3, position);
            if (expected >= 0) {
                s.setLong(4, expected);
            }
            try (ResultSet rs = s.executeQuery()) {
                return rs.next() ? Optional.of(rs.getObject(1, OffsetDateTime.class).toInstant()) : Optional.empty();
            }
        }
    }

    @Override
    public boolean delete(ProjectionId id) {
        Objects.requireNonNull(id, "id");
        Connection c = null;
        try {
            c = store.beginTransaction();
            int deleted;
            try (PreparedStatement s = c.prepareStatement("DELETE FROM " + schema.checkpoints()
                    + " WHERE projection_name = ? AND projection_version = ?")) {
                s.setString(1, id.name());
                s.setInt(2, id.version());
                deleted = s.executeUpdate();
            }
            c.commit();
            return deleted > 0;
        } catch (SQLException e) {
            PostgresEventStore.rollbackQuietly(c);
            throw store.failure("deleting the checkpoint of projection " + id, e);
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }

    /** {@inheritDoc} Names compare by code point ({@code COLLATE "C"}), as Java strings of {@code [a-z0-9_]} do. */
    @Override
    public List<Checkpoint> list() {
        Connection c = null;
        try {
            c = store.beginTransaction();
            List<Checkpoint> all = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT projection_name, projection_version, position,"
                    + " updated_at FROM " + schema.checkpoints() + " ORDER BY projection_name COLLATE \"C\","
                    + " projection_version");
                    ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    all.add(new Checkpoint(ProjectionId.of(rs.getString(1), rs.getInt(2)), rs.getLong(3),
                            rs.getObject(4, OffsetDateTime.class).toInstant()));
                }
            }
            c.commit();
            return all;
        } catch (SQLException e) {
            throw store.failure("listing checkpoints", e);
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }
}
