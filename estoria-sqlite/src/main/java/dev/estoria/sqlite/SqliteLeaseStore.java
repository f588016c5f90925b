package dev.estoria.sqlite;

import dev.estoria.eventstore.EventStoreException;
import dev.estoria.projection.Lease;
import dev.estoria.projection.LeaseStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Leases on projection partitions in the file of a {@link SqliteEventStore}, so that the workers of
 * a {@link dev.estoria.projection.PartitionedProjection} in several processes on one machine share
 * them through the same file as the events.
 *
 * <p>The leases are kept in the {@code estoria_leases} table, one row per group and partition, and
 * the workers' heartbeats in {@code estoria_members}. Every change goes through the store's write
 * queue and runs inside its write transaction, which holds SQLite's write lock across processes, so
 * each operation reads and changes the rows atomically: of several processes racing for a partition
 * exactly one wins. A changing call returns once committed with the store's {@linkplain
 * SqliteOptions#durability() durability}.
 *
 * <p>Expiry is judged by one clock: the system clock (to the microsecond) of the process running the
 * operation, read inside the write transaction. Processes sharing a SQLite file run on one machine,
 * so they share that clock. A lease's row is never deleted: {@link #release} makes it expire at
 * once, and the next acquisition of the partition, by any owner, gets the next token, so tokens
 * strictly increase per partition for the file's life. {@link #tryAcquire} by the current holder
 * also counts as a new acquisition, with a new token. {@link #renew} succeeds only for the lease
 * with the current token that has not expired yet.
 *
 * <p>The store must stay open while this is used; afterwards every call fails with an {@link
 * EventStoreException}. Thread-safe.
 */
public final class SqliteLeaseStore implements LeaseStore {

    private static final String CURRENT = "SELECT owner, token, expires_us FROM estoria_leases "
            + "WHERE lease_group = ? AND partition = ?";
    private static final String TAKE = "INSERT INTO estoria_leases (lease_group, partition, owner, token, expires_us) "
            + "VALUES (?, ?, ?, ?, ?) ON CONFLICT (lease_group, partition) DO UPDATE SET owner = excluded.owner, "
            + "token = excluded.token, expires_us = excluded.expires_us";
    private static final String RENEW = "UPDATE estoria_leases SET expires_us = ? "
            + "WHERE lease_group = ? AND partition = ? AND owner = ? AND token = ? AND expires_us > ?";
    /** Keeps the row, and with it the token, so a later acquisition gets a greater one. */
    private static final String RELEASE = "UPDATE estoria_leases SET expires_us = min(expires_us, ?) "
            + "WHERE lease_group = ? AND partition = ? AND owner = ? AND token = ?";
    private static final String LIVE = "SELECT partition, owner, token, expires_us FROM estoria_leases "
            + "WHERE lease_group = ? AND expires_us > ? ORDER BY partition";
    private static final String BEAT = "INSERT INTO estoria_members (lease_group, owner, expires_us) VALUES (?, ?, ?) "
            + "ON CONFLICT (lease_group, owner) DO UPDATE SET expires_us = excluded.expires_us";
    private static final String FORGET = "DELETE FROM estoria_members WHERE lease_group = ? AND expires_us <= ?";
    private static final String MEMBERS = "SELECT owner FROM estoria_members WHERE lease_group = ?";

    private final SqliteEventStore store;
    private final Clock clock;

    private SqliteLeaseStore(SqliteEventStore store, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The leases kept in {@code store}'s file, their expiry judged by the system clock. */
    public static SqliteLeaseStore of(SqliteEventStore store) {
        return new SqliteLeaseStore(store, Clock.systemUTC());
    }

    /** The leases kept in {@code store}'s file, their expiry judged by {@code clock}; for tests. */
    static SqliteLeaseStore of(SqliteEventStore store, Clock clock) {
        return new SqliteLeaseStore(store, clock);
    }

    /**
     * @throws IllegalArgumentException if {@code partition} is negative or {@code ttl} not positive or over 100 years;
     *     nothing is written
     * @throws EventStoreException if the write fails
     */
    @Override
    public Optional<Lease> tryAcquire(String group, int partition, String owner, Duration ttl) {
        check(group, partition, owner);
        long ttlMicros = ttlMicros(ttl);
        return store.writeShared(connection -> {
            long now = now();
            long token = 1;
            try (PreparedStatement current = connection.prepareStatement(CURRENT)) {
                current.setString(1, group);
                current.setInt(2, partition);
                try (ResultSet row = current.executeQuery()) {
                    if (row.next()) {
                        boolean live = row.getLong(3) > now;
                        if (live && !row.getString(1).equals(owner)) {
                            return Optional.empty();
                        }
                        token = row.getLong(2) + 1;
                    }
                }
            }
            long expires = Math.addExact(now, ttlMicros);
            try (PreparedStatement take = connection.prepareStatement(TAKE)) {
                take.setString(1, group);
                take.setInt(2, partition);
                take.setString(3, owner);
                take.setLong(4, token);
                take.setLong(5, expires);
                take.executeUpdate();
            }
            return Optional.of(new Lease(group, partition, owner, token, Encoding.fromMicros(expires)));
        });
    }

    /**
     * @throws IllegalArgumentException if {@code ttl} is not positive or over 100 years
     * @throws EventStoreException if the write fails
     */
    @Override
    public Optional<Lease> renew(Lease lease, Duration ttl) {
        Objects.requireNonNull(lease, "lease");
        long ttlMicros = ttlMicros(ttl);
        return store.writeShared(connection -> {
            long now = now();
            long expires = Math.addExact(now, ttlMicros);
            try (PreparedStatement renew = connection.prepareStatement(RENEW)) {
                renew.setLong(1, expires);
                renew.setString(2, lease.group());
                renew.setInt(3, lease.partition());
                renew.setString(4, lease.owner());
                renew.setLong(5, lease.token());
                renew.setLong(6, now);
                if (renew.executeUpdate() == 0) {
                    return Optional.empty();
                }
            }
            return Optional.of(new Lease(lease.group(), lease.partition(), lease.owner(), lease.token(),
                    Encoding.fromMicros(expires)));
        });
    }

    /** @throws EventStoreException if the write fails */
    @Override
    public void release(Lease lease) {
        Objects.requireNonNull(lease, "lease");
        store.writeShared(connection -> {
            try (PreparedStatement release = connection.prepareStatement(RELEASE)) {
                release.setLong(1, now());
                release.setString(2, lease.group());
                release.setInt(3, lease.partition());
                release.setString(4, lease.owner());
                release.setLong(5, lease.token());
                release.executeUpdate();
            }
            return null;
        });
    }

    /** @throws EventStoreException if the read fails */
    @Override
    public List<Lease> leases(String group) {
        Objects.requireNonNull(group, "group");
        return store.read("listing the leases of " + group, reader -> {
            PreparedStatement live = reader.prepare(LIVE);
            live.setString(1, group);
            live.setLong(2, now());
            List<Lease> leases = new ArrayList<>();
            try (ResultSet rows = live.executeQuery()) {
                while (rows.next()) {
                    leases.add(new Lease(group, rows.getInt(1), rows.getString(2), rows.getLong(3),
                            Encoding.fromMicros(rows.getLong(4))));
                }
            }
            return leases;
        });
    }

    /**
     * Also forgets the group's members whose heartbeats expired.
     *
     * @throws IllegalArgumentException if {@code ttl} is not positive or over 100 years
     * @throws EventStoreException if the write fails
     */
    @Override
    public Set<String> heartbeat(String group, String owner, Duration ttl) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(owner, "owner");
        long ttlMicros = ttlMicros(ttl);
        return store.writeShared(connection -> {
            long now = now();
            execute(connection, BEAT, group, owner, Math.addExact(now, ttlMicros));
            try (PreparedStatement forget = connection.prepareStatement(FORGET)) {
                forget.setString(1, group);
                forget.setLong(2, now);
                forget.executeUpdate();
            }
            Set<String> members = new HashSet<>();
            try (PreparedStatement select = connection.prepareStatement(MEMBERS)) {
                select.setString(1, group);
                try (ResultSet rows = select.executeQuery()) {
                    while (rows.next()) {
                        members.add(rows.getString(1));
                    }
                }
            }
            return Set.copyOf(members);
        });
    }

    /** @throws EventStoreException if the write fails */
    @Override
    public void leave(String group, String owner) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(owner, "owner");
        store.writeShared(connection -> {
            try (PreparedStatement leave = connection.prepareStatement(
                    "DELETE FROM estoria_members WHERE lease_group = ? AND owner = ?")) {
                leave.setString(1, group);
                leave.setString(2, owner);
                leave.executeUpdate();
            }
            return null;
        });
    }

    private static void execute(Connection connection, String sql, String a, String b, long c) throws SQLException {
        try (PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, a);
            statement.setString(2, b);
            statement.setLong(3, c);
            statement.executeUpdate();
        }
    }

    private long now() {
        return Encoding.toMicros(clock.instant());
    }

    private static void check(String group, int partition, String owner) {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(owner, "owner");
        if (partition < 0) {
            throw new IllegalArgumentException("partition must not be negative, was " + partition);
        }
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
        return "SqliteLeaseStore[" + store.file() + "]";
    }
}
