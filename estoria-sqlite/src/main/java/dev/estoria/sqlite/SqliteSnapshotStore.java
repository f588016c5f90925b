package dev.estoria.sqlite;

import dev.estoria.eventstore.EventStoreException;
import dev.estoria.snapshot.RetentionPolicy;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.snapshot.SnapshotStore;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Durable snapshots in the file of a {@link SqliteEventStore}, in its {@code estoria_snapshots}
 * table: one row per aggregate type, aggregate UUID and version, holding the snapshot time, the
 * encoded state as a BLOB, its content type and the UUID of the event it was taken at (if given),
 * all stored verbatim (the time to the nanosecond).
 *
 * <p>{@link #write} goes through the store's write queue and shares its group commits, so it never
 * conflicts with appends, and returns once committed with the store's {@linkplain
 * SqliteOptions#durability() durability}. A write replaces the snapshot of the same aggregate and
 * version. Retention, if any, is applied in the same transaction as the write, so a reader never
 * sees more snapshots than it keeps, nor the new one missing. {@link #read} uses the store's read
 * connections and never waits for writes.
 *
 * <p>Retention, chosen when the store is made:
 *
 * <ul>
 *   <li>{@link #of(SqliteEventStore)} keeps every snapshot;
 *   <li>{@link #keepLast(SqliteEventStore, int)} keeps the newest {@code n} versions of each
 *       aggregate, pruned with one {@code DELETE};
 *   <li>{@link #of(SqliteEventStore, RetentionPolicy)} asks any {@link RetentionPolicy}: after each
 *       write it loads the aggregate's snapshots (in ascending version) to judge them, so a policy
 *       that keeps many makes every write read them all.
 * </ul>
 *
 * <p>An aggregate type or content type with an unpaired surrogate cannot be stored as UTF-8: such
 * a write is refused with {@link IllegalArgumentException}, and no snapshot of such a type exists.
 * The store must stay open while this is used; afterwards every call fails with an {@link
 * EventStoreException}. Thread-safe.
 */
public final class SqliteSnapshotStore implements SnapshotStore {

    private static final String READ_NEWEST = "SELECT version, taken_seconds, taken_nanos, data, content_type, event_uuid "
            + "FROM estoria_snapshots WHERE aggregate_type = ? AND aggregate_uuid = ? AND version <= ? "
            + "ORDER BY version DESC LIMIT 1";
    private static final String READ_ALL = "SELECT version, taken_seconds, taken_nanos, data, content_type, event_uuid "
            + "FROM estoria_snapshots WHERE aggregate_type = ? AND aggregate_uuid = ? ORDER BY version";
    private static final String UPSERT = "INSERT INTO estoria_snapshots (aggregate_type, aggregate_uuid, version, "
            + "taken_seconds, taken_nanos, data, content_type, event_uuid) VALUES (?, ?, ?, ?, ?, ?, ?, ?) "
            + "ON CONFLICT (aggregate_type, aggregate_uuid, version) DO UPDATE SET taken_seconds = excluded.taken_seconds, "
            + "taken_nanos = excluded.taken_nanos, data = excluded.data, content_type = excluded.content_type, "
            + "event_uuid = excluded.event_uuid";
    /** Deletes versions below the n-th newest; with fewer than n, the bound is NULL and nothing goes. */
    private static final String PRUNE_BELOW_NTH = "DELETE FROM estoria_snapshots WHERE aggregate_type = ?1 "
            + "AND aggregate_uuid = ?2 AND version < (SELECT version FROM estoria_snapshots WHERE aggregate_type = ?1 "
            + "AND aggregate_uuid = ?2 ORDER BY version DESC LIMIT 1 OFFSET ?3)";
    private static final String DELETE_AGGREGATE = "DELETE FROM estoria_snapshots WHERE aggregate_type = ? "
            + "AND aggregate_uuid = ?";
    private static final String DELETE_VERSION = "DELETE FROM estoria_snapshots WHERE aggregate_type = ? "
            + "AND aggregate_uuid = ? AND version = ?";

    private final SqliteEventStore store;
    /** Keep the newest this many; 0 when {@link #policy} decides or everything is kept. */
    private final int keepLast;
    private final RetentionPolicy policy;

    private SqliteSnapshotStore(SqliteEventStore store, int keepLast, RetentionPolicy policy) {
        this.store = Objects.requireNonNull(store, "store");
        this.keepLast = keepLast;
        this.policy = policy;
    }

    /** Snapshots in {@code store}'s file, all kept. */
    public static SqliteSnapshotStore of(SqliteEventStore store) {
        return new SqliteSnapshotStore(store, 0, null);
    }

    /**
     * Snapshots in {@code store}'s file, keeping the newest {@code n} versions of each aggregate.
     *
     * @throws IllegalArgumentException if {@code n} is below 1
     */
    public static SqliteSnapshotStore keepLast(SqliteEventStore store, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
        return new SqliteSnapshotStore(store, n, null);
    }

    /** Snapshots in {@code store}'s file, keeping what {@code retention} keeps after each write. */
    public static SqliteSnapshotStore of(SqliteEventStore store, RetentionPolicy retention) {
        return new SqliteSnapshotStore(store, 0, Objects.requireNonNull(retention, "retention"));
    }

    /**
     * @throws IllegalArgumentException if {@code maxVersion} is negative
     * @throws EventStoreException if the read fails
     */
    @Override
    public Optional<Snapshot> read(TypeId aggregateId, long maxVersion) {
        Objects.requireNonNull(aggregateId, "aggregateId");
        if (maxVersion < 0) {
            throw new IllegalArgumentException("maxVersion must not be negative, was " + maxVersion);
        }
        if (Encoding.wellFormedProblem(aggregateId.type()) != null) {
            return Optional.empty();
        }
        return store.read("reading the snapshot of " + aggregateId, reader -> {
            PreparedStatement query = reader.prepare(READ_NEWEST);
            query.setString(1, aggregateId.type());
            query.setBytes(2, Encoding.uuidBytes(aggregateId.uuid()));
            query.setLong(3, maxVersion == 0 ? Long.MAX_VALUE : maxVersion);
            try (ResultSet rows = query.executeQuery()) {
                return rows.next() ? Optional.of(snapshot(aggregateId, rows)) : Optional.empty();
            }
        });
    }

    /**
     * Stores the snapshot, replacing one of the same aggregate and version, then applies the
     * retention, all in one transaction.
     *
     * @throws IllegalArgumentException if a type cannot be stored or the snapshot is larger than a
     *     row may be; nothing is written
     * @throws EventStoreException if the write fails; nothing is written
     */
    @Override
    public void write(Snapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        TypeId id = snapshot.aggregateId();
        requireStorable("aggregate type", id.type(), snapshot);
        requireStorable("content type", snapshot.contentType(), snapshot);
        byte[] data = snapshot.data();
        long size = (long) data.length + snapshot.contentType().getBytes(StandardCharsets.UTF_8).length
                + id.type().getBytes(StandardCharsets.UTF_8).length;
        if (size > store.maxValueBytes()) {
            throw new IllegalArgumentException(snapshot + " is " + size + " bytes with its types; this store holds at most "
                    + store.maxValueBytes() + " bytes per snapshot");
        }
        byte[] uuid = Encoding.uuidBytes(id.uuid());
        Instant at = snapshot.timestamp();
        store.writeShared(connection -> {
            try (PreparedStatement upsert = connection.prepareStatement(UPSERT)) {
                upsert.setString(1, id.type());
                upsert.setBytes(2, uuid);
                upsert.setLong(3, snapshot.version());
                upsert.setLong(4, at.getEpochSecond());
                upsert.setInt(5, at.getNano());
                upsert.setBytes(6, data);
                upsert.setString(7, snapshot.contentType());
                upsert.setBytes(8, snapshot.eventId() == null ? null : Encoding.uuidBytes(snapshot.eventId()));
                upsert.executeUpdate();
            }
            if (keepLast > 0) {
                try (PreparedStatement prune = connection.prepareStatement(PRUNE_BELOW_NTH)) {
                    prune.setString(1, id.type());
                    prune.setBytes(2, uuid);
                    prune.setInt(3, keepLast - 1);
                    prune.executeUpdate();
                }
            } else if (policy != null) {
                applyPolicy(connection, id, uuid);
            }
            return null;
        });
    }

    /**
     * Deletes every snapshot of the aggregate, in one transaction.
     *
     * @throws EventStoreException if the write fails; nothing is deleted
     */
    @Override
    public boolean delete(TypeId aggregateId) {
        Objects.requireNonNull(aggregateId, "aggregateId");
        if (Encoding.wellFormedProblem(aggregateId.type()) != null) {
            return false; // no snapshot of such a type was ever written
        }
        byte[] uuid = Encoding.uuidBytes(aggregateId.uuid());
        return store.writeShared(connection -> {
            try (PreparedStatement delete = connection.prepareStatement(DELETE_AGGREGATE)) {
                delete.setString(1, aggregateId.type());
                delete.setBytes(2, uuid);
                return delete.executeUpdate() > 0;
            }
        });
    }

    private void applyPolicy(Connection connection, TypeId id, byte[] uuid) throws SQLException {
        List<Snapshot> all = new ArrayList<>();
        try (PreparedStatement query = connection.prepareStatement(READ_ALL)) {
            query.setString(1, id.type());
            query.setBytes(2, uuid);
            try (ResultSet rows = query.executeQuery()) {
                while (rows.next()) {
                    all.add(snapshot(id, rows));
                }
            }
        }
        try (PreparedStatement delete = connection.prepareStatement(DELETE_VERSION)) {
            for (int i = 0; i < all.size(); i++) {
                if (!policy.retain(all.get(i), i, all.size())) {
                    delete.setString(1, id.type());
                    delete.setBytes(2, uuid);
                    delete.setLong(3, all.get(i).version());
                    delete.executeUpdate();
                }
            }
        }
    }

    private Snapshot snapshot(TypeId id, ResultSet rows) throws SQLException {
        try {
            byte[] data = rows.getBytes(4);
            // The driver reads an empty BLOB as null.
            byte[] eventId = rows.getBytes(6);
            return new Snapshot(id, rows.getLong(1), Instant.ofEpochSecond(rows.getLong(2), rows.getInt(3)),
                    data == null ? new byte[0] : data, rows.getString(5),
                    eventId == null ? null : Encoding.uuid(eventId));
        } catch (RuntimeException e) {
            throw new EventStoreException("the snapshot row of " + id + " in " + store.file() + " is damaged: "
                    + e.getMessage(), e);
        }
    }

    private static void requireStorable(String what, String value, Snapshot snapshot) {
        String problem = Encoding.wellFormedProblem(value);
        if (problem != null) {
            throw new IllegalArgumentException("snapshot of " + snapshot.aggregateId() + " v" + snapshot.version()
                    + ": the " + what + " cannot be stored as UTF-8 text: " + problem);
        }
    }

    @Override
    public String toString() {
        return "SqliteSnapshotStore[" + store.file() + "]";
    }
}
