package dev.estoria.postgres;

import dev.estoria.snapshot.RetentionPolicy;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.snapshot.SnapshotStore;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.OffsetDateTime;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Snapshots in the {@code snapshots} table of a {@link PostgresEventStore}'s schema, over the
 * store's connection pool. Thread-safe, and safe across processes.
 *
 * <p>A row per aggregate version, keyed by aggregate type, aggregate UUID and version; the state is
 * stored verbatim as {@code bytea}, the content type verbatim (empty allowed), and the UUID of the
 * event the snapshot was taken at, or NULL when it names none. Writing a version
 * already stored replaces it. Timestamps are kept to the microsecond (the precision of {@code
 * timestamptz}); a finer one is truncated. A snapshot over {@link PostgresOptions#maxEventBytes()}
 * bytes with its content type is refused with {@link IllegalArgumentException}, like an event.
 *
 * <p>Retention runs in the write's transaction, after the insert, under a transaction-scoped
 * advisory lock on the aggregate, so concurrent writers of one aggregate take turns and the result
 * is the one a single writer would leave. {@link #keepLast(PostgresEventStore, int)} prunes in SQL
 * without reading any state; a general {@link RetentionPolicy} ({@link #of(PostgresEventStore,
 * RetentionPolicy)}) reads every snapshot of the aggregate, state included, to evaluate the policy,
 * so it costs what the aggregate keeps.
 *
 * <p>The snapshot store has no lifecycle of its own: it works while its event store is open, and
 * fails with {@link dev.estoria.eventstore.EventStoreException} once it is closed. Backend failures
 * throw {@link dev.estoria.eventstore.EventStoreException} ({@link StoreUnavailableException} when
 * PostgreSQL is unreachable).
 */
public final class PostgresSnapshotStore implements SnapshotStore {

    private final PostgresEventStore store;
    private final Schema schema;
    /** Null: keep all. */
    private final RetentionPolicy retention;
    /** Above 0: keep the newest {@code keepLast} in SQL; {@code retention} is then null. */
    private final int keepLast;

    private PostgresSnapshotStore(PostgresEventStore store, RetentionPolicy retention, int keepLast) {
        this.store = Objects.requireNonNull(store, "store");
        this.schema = store.schema();
        this.retention = retention;
        this.keepLast = keepLast;
    }

    /** Snapshots in {@code store}'s schema, every one kept. */
    public static PostgresSnapshotStore of(PostgresEventStore store) {
        return new PostgresSnapshotStore(store, null, 0);
    }

    /**
     * Snapshots in {@code store}'s schema, keeping what {@code retention} keeps; the policy is
     * evaluated in Java over all snapshots of the written aggregate, in the write's transaction.
     */
    public static PostgresSnapshotStore of(PostgresEventStore store, RetentionPolicy retention) {
        return new PostgresSnapshotStore(store, Objects.requireNonNull(retention, "retention"), 0);
    }

    /**
     * Snapshots in {@code store}'s schema, keeping the newest {@code n} of each aggregate (by
     * version), pruned in SQL in the write's transaction.
     *
     * @throws IllegalArgumentException if {@code n} is below 1
     */
    public static PostgresSnapshotStore keepLast(PostgresEventStore store, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
        return new PostgresSnapshotStore(store, null, n);
    }

    @Override
    public Optional<Snapshot> read(TypeId aggregateId, long maxVersion) {
        Objects.requireNonNull(aggregateId, "aggregateId");
        if (maxVersion < 0) {
            throw new IllegalArgumentException("maxVersion must not be negative, was " + maxVersion);
        }
        if (!MetadataCodec.isStorableText(aggregateId.type())) {
            return Optional.empty(); // no snapshot of such a type was ever written
        }
        String sql = "SELECT version, taken_at, data, content_type, event_uuid FROM " + schema.snapshots()
                + " WHERE aggregate_type = ? AND aggregate_uuid = ?" + (maxVersion > 0 ? " AND version <= ?" : "")
                + " ORDER BY version DESC LIMIT 1";
        Connection c = null;
        try {
            c = store.singleStatementConnection();
            Optional<Snapshot> found = Optional.empty();
            try (PreparedStatement s = c.prepareStatement(sql)) {
                s.setString(1, aggregateId.type());
                s.setObject(2, aggregateId.uuid());
                if (maxVersion > 0) {
                    s.setLong(3, maxVersion);
                }
                try (ResultSet rs = s.executeQuery()) {
                    if (rs.next()) {
                        found = Optional.of(snapshot(aggregateId, rs));
                    }
                }
            }
            if (!c.getAutoCommit()) {
                c.commit();
            }
            return found;
        } catch (SQLException e) {
            throw store.failure("reading the snapshot of " + aggregateId + " at version <= " + maxVersion, e);
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }

    @Override
    public void write(Snapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        MetadataCodec.requireStorableType(snapshot.aggregateId().type(), "snapshot of " + snapshot.aggregateId()
                + ": the aggregate type");
        MetadataCodec.requireStorableText(snapshot.contentType(), "snapshot of " + snapshot.aggregateId()
                + " content type");
        TypeId id = snapshot.aggregateId();
        byte[] data = snapshot.data(); // a copy: taken once
        long size = (long) data.length + snapshot.contentType().getBytes(StandardCharsets.UTF_8).length;
        if (size > store.options().maxEventBytes()) {
            // The event store's limit, for the same reason: a larger row is written but cannot be read back.
            throw new IllegalArgumentException(snapshot + " is " + size + " bytes with its content type; this store"
                    + " holds at most " + store.options().maxEventBytes() + " bytes per snapshot");
        }
        Connection c = null;
        try {
            c = store.beginTransaction();
            if (retention != null || keepLast > 0) {
                try (PreparedStatement s = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtextextended(?, 0))")) {
                    s.setString(1, "dev.estoria.postgres.snapshot:" + schema.name + ':' + id);
                    s.execute();
                }
            }
            try (PreparedStatement s = c.prepareStatement("INSERT INTO " + schema.snapshots()
                    + " (aggregate_type, aggregate_uuid, version, taken_at, data, content_type, event_uuid)"
                    + " VALUES (?, ?, ?, ?, ?, ?, ?)"
                    + " ON CONFLICT (aggregate_type, aggregate_uuid, version) DO UPDATE SET taken_at = EXCLUDED.taken_at,"
                    + " data = EXCLUDED.data, content_type = EXCLUDED.content_type, event_uuid = EXCLUDED.event_uuid")) {
                s.setString(1, id.type());
                s.setObject(2, id.uuid());
                s.setLong(3, snapshot.version());
                s.setObject(4, Sql.timestamp(snapshot.timestamp().truncatedTo(ChronoUnit.MICROS)));
                s.setBytes(5, data);
                s.setString(6, snapshot.contentType());
                s.setObject(7, snapshot.eventId(), java.sql.Types.OTHER);
                s.executeUpdate();
            }
            if (keepLast > 0) {
                try (PreparedStatement s = c.prepareStatement("DELETE FROM " + schema.snapshots()
                        + " WHERE aggregate_type = ? AND aggregate_uuid = ? AND version < (SELECT version FROM "
                        + schema.snapshots() + " WHERE aggregate_type = ? AND aggregate_uuid = ?"
                        + " ORDER BY version DESC OFFSET ? LIMIT 1)")) {
                    s.setString(1, id.type());
                    s.setObject(2, id.uuid());
                    s.setString(3, id.type());
                    s.setObject(4, id.uuid());
                    s.setInt(5, keepLast - 1);
                    s.executeUpdate();
                }
            } else if (retention != null) {
                applyRetention(c, id);
            }
            c.commit();
        } catch (SQLException e) {
            PostgresEventStore.rollbackQuietly(c);
            throw store.failure("writing the snapshot of " + id + " at version " + snapshot.version(), e);
        } catch (RuntimeException e) {
            PostgresEventStore.rollbackQuietly(c);
            throw e;
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }

    @Override
    public boolean delete(TypeId aggregateId) {
        Objects.requireNonNull(aggregateId, "aggregateId");
        if (!MetadataCodec.isStorableText(aggregateId.type())) {
            return false; // no snapshot of such a type was ever written
        }
        Connection c = null;
        try {
            c = store.beginTransaction();
            int deleted;
            try (PreparedStatement s = c.prepareStatement("DELETE FROM " + schema.snapshots()
                    + " WHERE aggregate_type = ? AND aggregate_uuid = ?")) {
                s.setString(1, aggregateId.type());
                s.setObject(2, aggregateId.uuid());
                deleted = s.executeUpdate();
            }
            c.commit();
            return deleted > 0;
        } catch (SQLException e) {
            PostgresEventStore.rollbackQuietly(c);
            throw store.failure("deleting the snapshots of " + aggregateId, e);
        } catch (RuntimeException e) {
            PostgresEventStore.rollbackQuietly(c);
            throw e;
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }

    private void applyRetention(Connection c, TypeId id) throws SQLException {
        List<Snapshot> all = new ArrayList<>();
        try (PreparedStatement s = c.prepareStatement("SELECT version, taken_at, data, content_type, event_uuid FROM "
                + schema.snapshots() + " WHERE aggregate_type = ? AND aggregate_uuid = ? ORDER BY version")) {
            s.setString(1, id.type());
            s.setObject(2, id.uuid());
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    all.add(snapshot(id, rs));
                }
            }
        }
        List<Long> dropped = new ArrayList<>();
        for (int i = 0; i < all.size(); i++) {
            if (!retention.retain(all.get(i), i, all.size())) {
                dropped.add(all.get(i).version());
            }
        }
        if (dropped.isEmpty()) {
            return;
        }
        try (PreparedStatement s = c.prepareStatement("DELETE FROM " + schema.snapshots()
                + " WHERE aggregate_type = ? AND aggregate_uuid = ? AND version = ANY (?)")) {
            s.setString(1, id.type());
            s.setObject(2, id.uuid());
            s.setArray(3, c.createArrayOf("bigint", dropped.toArray()));
            s.executeUpdate();
        }
    }

    private static Snapshot snapshot(TypeId id, ResultSet rs) throws SQLException {
        return new Snapshot(id, rs.getLong(1), rs.getObject(2, OffsetDateTime.class).toInstant(), rs.getBytes(3),
                rs.getString(4), rs.getObject(5, UUID.class));
    }

    /** How many snapshots of the aggregate are stored; for tests. */
    int count(TypeId aggregateId) {
        try (Connection c = store.beginTransaction();
                PreparedStatement s = c.prepareStatement("SELECT count(*) FROM " + schema.snapshots()
                        + " WHERE aggregate_type = ? AND aggregate_uuid = ?")) {
            s.setString(1, aggregateId.type());
            s.setObject(2, aggregateId.uuid());
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                int n = rs.getInt(1);
                c.rollback();
                return n;
            }
        } catch (SQLException e) {
            throw store.failure("counting the snapshots of " + aggregateId, e);
        }
    }
}
