package dev.estoria.postgres;

import dev.estoria.projection.Lease;
import dev.estoria.projection.LeaseStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Leases on projection partitions in the {@code leases} table of a {@link PostgresEventStore}'s
 * schema, and the workers' heartbeats in its {@code members} table, over the store's connection
 * pool, so that the workers of a {@link dev.estoria.projection.PartitionedProjection} on any number
 * of hosts share them through the database that holds the events. Thread-safe, and safe across
 * processes.
 *
 * <p>Expiry is judged by the server's clock ({@code clock_timestamp()}) alone, never by a worker's,
 * so workers whose clocks disagree still agree on who holds what. Each operation is one atomic
 * statement (the heartbeat, one transaction): {@link #tryAcquire} is an upsert that takes the row
 * only if it is missing, expired or already the caller's, so of any number of workers racing for a
 * partition exactly one wins. A lease's row is never deleted: {@link #release} makes it expire at
 * once, and every acquisition, by any owner, increments the row's token, so tokens strictly
 * increase per partition for the schema's life; {@link #tryAcquire} by the current holder also
 * counts as a new acquisition. {@link #renew} succeeds only for the lease with the current token
 * that has not expired yet. Each change is durable when it returns.
 *
 * <p>Works while its event store is open; backend failures throw {@link
 * dev.estoria.eventstore.EventStoreException}.
 */
public final class PostgresLeaseStore implements LeaseStore {

    private final PostgresEventStore store;
    private final Schema schema;

    private PostgresLeaseStore(PostgresEventStore store) {
        this.store = Objects.requireNonNull(store, "store");
        this.schema = store.schema();
    }

    /** Leases in {@code store}'s schema. */
    public static PostgresLeaseStore of(PostgresEventStore store) {
        return new PostgresLeaseStore(store);
    }

    private interface Work<T> {
        T run(Connection c) throws SQLException;
    }

    private <T> T inTransaction(String what, Work<T> work) {
        Connection c = null;
        try {
            c = store.beginTransaction();
            T result = work.run(c);
            c.commit();
            return result;
        } catch (SQLException e) {
            PostgresEventStore.rollbackQuietly(c);
            throw store.failure(what, e);
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }

    /**
     * @throws IllegalArgumentException if {@code partition} is negative or {@code ttl} not positive
     *     or over 100 years; nothing is written
     */
    @Override
    public Optional<Lease> tryAcquire(String group, int partition, String owner, Duration ttl) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(owner, "owner");
        if (partition < 0) {
            throw new IllegalArgumentException("partition must not be negative, was " + partition);
        }
        long micros = ttlMicros(ttl);
        return inTransaction("acquiring partition " + partition + " of " + group + " for " + owner, c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO " + schema.leases() + " AS l"
                    + " (lease_group, partition, owner, token, expires_at)"
                    + " VALUES (?, ?, ?, 1, clock_timestamp() + ? * interval '1 microsecond')"
                    + " ON CONFLICT (lease_group, partition) DO UPDATE SET owner = EXCLUDED.owner,"
                    + " token = l.token + 1, expires_at = EXCLUDED.expires_at"
                    + " WHERE l.expires_at <= clock_timestamp() OR l.owner = EXCLUDED.owner"
                    + " RETURNING l.token, l.expires_at")) {
                s.setString(1, group);
                s.setInt(2, partition);
                s.setString(3, owner);
                s.setLong(4, micros);
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next()
                            ? Optional.of(new Lease(group, partition, owner, rs.getLong(1), instant(rs, 2)))
                            : Optional.empty();
                }
            }
        });
    }

    /** @throws IllegalArgumentException if {@code ttl} is not positive or over 100 years */
    @Override
    public Optional<Lease> renew(Lease lease, Duration ttl) {
        Objects.requireNonNull(lease, "lease");
        long micros = ttlMicros(ttl);
        return inTransaction("renewing " + lease, c -> {
            try (PreparedStatement s = c.prepareStatement("UPDATE " + schema.leases()
                    + " SET expires_at = clock_timestamp() + ? * interval '1 microsecond'"
                    + " WHERE lease_group = ? AND partition = ? AND owner = ? AND token = ?"
                    + " AND expires_at > clock_timestamp() RETURNING expires_at")) {
                s.setLong(1, micros);
                s.setString(2, lease.group());
                s.setInt(3, lease.partition());
                s.setString(4, lease.owner());
                s.setLong(5, lease.token());
                try (ResultSet rs = s.executeQuery()) {
                    return rs.next()
                            ? Optional.of(new Lease(lease.group(), lease.partition(), lease.owner(), lease.token(),
                                    instant(rs, 1)))
                            : Optional.empty();
                }
            }
        });
    }

    @Override
    public void release(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        inTransaction("releasing " + lease, c -> {
            // The row stays, keeping its token, so the next acquisition gets a greater one.
            try (PreparedStatement s = c.prepareStatement("UPDATE " + schema.leases()
                    + " SET expires_at = least(expires_at, clock_timestamp())"
                    + " WHERE lease_group = ? AND partition = ? AND owner = ? AND token = ?")) {
                s.setString(1, lease.group());
                s.setInt(2, lease.partition());
                s.setString(3, lease.owner());
                s.setLong(4, lease.token());
                return s.executeUpdate();
            }
        });
    }

    @Override
    public List<Lease> leases(String group) {
        Objects.requireNonNull(group, "group");
        return inTransaction("listing the leases of " + group, c -> {
            List<Lease> live = new ArrayList<>();
            try (PreparedStatement s = c.prepareStatement("SELECT partition, owner, token, expires_at FROM "
                    + schema.leases() + " WHERE lease_group = ? AND expires_at > clock_timestamp() ORDER BY partition")) {
                s.setString(1, group);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        live.add(new Lease(group, rs.getInt(1), rs.getString(2), rs.getLong(3), instant(rs, 4)));
                    }
                }
            }
            return live;
        });
    }

    /**
     * Also forgets the group's members whose heartbeats expired.
     *
     * @throws IllegalArgumentException if {@code ttl} is not positive or over 100 years
     */
    @Override
    public Set<String> heartbeat(String group, String owner, Duration ttl) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(owner, "owner");
        long micros = ttlMicros(ttl);
        return inTransaction("the heartbeat of " + owner + " in " + group, c -> {
            try (PreparedStatement s = c.prepareStatement("INSERT INTO " + schema.members()
                    + " (lease_group, owner, expires_at) VALUES (?, ?, clock_timestamp() + ? * interval '1 microsecond')"
                    + " ON CONFLICT (lease_group, owner) DO UPDATE SET expires_at = EXCLUDED.expires_at")) {
                s.setString(1, group);
                s.setString(2, owner);
                s.setLong(3, micros);
                s.executeUpdate();
            }
            try (PreparedStatement s = c.prepareStatement("DELETE FROM " + schema.members()
                    + " WHERE lease_group = ? AND expires_at <= clock_timestamp()")) {
                s.setString(1, group);
                s.executeUpdate();
            }
            Set<String> members = new HashSet<>();
            try (PreparedStatement s = c.prepareStatement("SELECT owner FROM " + schema.members()
                    + " WHERE lease_group = ?")) {
                s.setString(1, group);
                try (ResultSet rs = s.executeQuery()) {
                    while (rs.next()) {
                        members.add(rs.getString(1));
                    }
                }
            }
            return Set.copyOf(members);
        });
    }

    @Override
    public void leave(String group, String owner) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(owner, "owner");
        inTransaction("the leave of " + owner + " from " + group, c -> {
            try (PreparedStatement s = c.prepareStatement("DELETE FROM " + schema.members()
                    + " WHERE lease_group = ? AND owner = ?")) {
                s.setString(1, group);
                s.setString(2, owner);
                return s.executeUpdate();
            }
        });
    }

    private static java.time.Instant instant(ResultSet rs, int column) throws SQLException {
        return rs.getObject(column, OffsetDateTime.class).toInstant();
    }

    /** The longest lease: a hundred years, as good as forever. */
    static final Duration MAX_TTL = Duration.ofDays(365L * 100);

    private static long ttlMicros(Duration ttl) {
        Objects.requireNonNull(ttl, "ttl");
        if (ttl.isNegative() || ttl.isZero()) {
            throw new IllegalArgumentException("ttl must be positive, was " + ttl);
        }
        if (ttl.compareTo(MAX_TTL) > 0) {
            // Expiry times are stored to the microsecond; far enough out, they no longer fit.
            throw new IllegalArgumentException("ttl must be at most " + MAX_TTL.toDays() + " days, was " + ttl);
        }
        // At least one microsecond, so a positive ttl never yields a lease that is born expired.
        return Math.max(1, ttl.toNanos() / 1_000);
    }

    @Override
    public String toString() {
        return "PostgresLeaseStore[" + schema.name + "]";
    }
}
