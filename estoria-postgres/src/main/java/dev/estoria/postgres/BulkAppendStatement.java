package dev.estoria.postgres;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ExpectedVersion;
import dev.estoria.postgres.GroupCommitter.Pending;
import dev.estoria.postgres.GroupCommitter.Prepared;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.UUID;

/**
 * The one statement that commits a group of appends to distinct streams, in one round trip: its SQL,
 * its parameters, and the events it wrote. Run in auto-commit mode it is its own transaction.
 *
 * <p>It reserves the versions of the streams whose expectation holds and inserts their events; a
 * stream it did not reserve is missing from {@link #run}'s answer, and its append must be decided
 * again (the store does so under a savepoint). Positions are {@code position_base + xid * 2^20 +
 * index}, the index being the event's place in the group, so {@link #events} computes the same
 * values the statement stored.
 */
final class BulkAppendStatement {

    private final String sql;
    private final List<Pending> group;
    /** The index in the group of each append's first event. */
    private final int[] firstIndex;
    private final Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
    /** Whether the statement went to the server (it may then have run, answered or not). */
    boolean sent;

    /** @param sql the statement of the store's schema, from {@link #sql(Schema)} */
    BulkAppendStatement(String sql, List<Pending> group) {
        this.sql = sql;
        this.group = group;
        this.firstIndex = new int[group.size()];
        for (int g = 1; g < group.size(); g++) {
            firstIndex[g] = firstIndex[g - 1] + group.get(g - 1).prepared.size();
        }
    }

    /** Runs the statement; returns, per reserved stream, its new tip, the transaction ID and the position base. */
    Map<TypeId, long[]> run(Connection c) throws SQLException {
        int m = group.size();
        String[] types = new String[m];
        UUID[] uuids = new UUID[m];
        Long[] counts = new Long[m];
        Long[] lowest = new Long[m];
        Long[] highest = new Long[m];
        int total = 0;
        for (int g = 0; g < m; g++) {
            Pending p = group.get(g);
            types[g] = p.streamId.type();
            uuids[g] = p.streamId.uuid();
            counts[g] = (long) p.prepared.size();
            long[] range = range(p.options.expectedVersion());
            lowest[g] = range[0];
            highest[g] = range[1];
            total += p.prepared.size();
        }
        Integer[] appendOf = new Integer[total];
        Integer[] indexIn = new Integer[total];
        String[] eventTypes = new String[total];
        UUID[] eventUuids = new UUID[total];
        byte[][] data = new byte[total][];
        String[] contentTypes = new String[total];
        byte[][] metadata = new byte[total][];
        int k = 0;
        for (int g = 0; g < m; g++) {
            List<Prepared> prepared = group.get(g).prepared;
            for (int i = 0; i < prepared.size(); i++, k++) {
                Prepared e = prepared.get(i);
                appendOf[k] = g + 1;
                indexIn[k] = i + 1;
                eventTypes[k] = e.type();
                eventUuids[k] = e.uuid();
                data[k] = e.data();
                contentTypes[k] = e.contentType();
                metadata[k] = e.metadata();
            }
        }
        Map<TypeId, long[]> reserved = new HashMap<>(m * 2);
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setArray(1, c.createArrayOf("text", types));
            s.setArray(2, c.createArrayOf("uuid", uuids));
            s.setArray(3, c.createArrayOf("int8", counts));
            s.setArray(4, c.createArrayOf("int8", lowest));
            s.setArray(5, c.createArrayOf("int8", highest));
            s.setObject(6, Sql.timestamp(now));
            s.setArray(7, c.createArrayOf("int4", appendOf));
            s.setArray(8, c.createArrayOf("int4", indexIn));
            s.setArray(9, c.createArrayOf("text", eventTypes));
            s.setArray(10, c.createArrayOf("uuid", eventUuids));
            s.setArray(11, c.createArrayOf("bytea", data));
            s.setArray(12, c.createArrayOf("text", contentTypes));
            s.setArray(13, c.createArrayOf("bytea", metadata));
            sent = true;
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    reserved.put(new TypeId(rs.getString(1), rs.getObject(2, UUID.class)),
                            new long[] {rs.getLong(3), rs.getLong(4), rs.getLong(5)});
                }
            }
        }
        return reserved;
    }

    /** The events the statement wrote for append {@code g} after version {@code current}. */
    List<Event> events(int g, long current, long xid, long base) {
        int first = firstIndex[g];
        Pending p = group.get(g);
        List<Event> events = new ArrayList<>(p.prepared.size());
        for (int i = 0; i < p.prepared.size(); i++) {
            Prepared e = p.prepared.get(i);
            // The statement's formula: the event's index in the group is its ordinality - 1.
            long position = base + (xid << Schema.INDEX_BITS) + first + i;
            events.add(new Event(new TypeId(e.type(), e.uuid()), p.streamId, current + i + 1,
                    OptionalLong.of(position), now, e.data(), e.contentType(), p.batch.get(i).metadata()));
        }
        return List.copyOf(events);
    }

    /** The tips an expectation accepts, as {@code [lowest, highest]}. */
    static long[] range(ExpectedVersion expected) {
        return switch (expected) {
            case ExpectedVersion.Any any -> new long[] {0, Long.MAX_VALUE};
            case ExpectedVersion.NoStream none -> new long[] {0, 0};
            case ExpectedVersion.StreamExists exists -> new long[] {1, Long.MAX_VALUE};
            case ExpectedVersion.Exact exact -> new long[] {exact.version(), exact.version()};
        };
    }

    /** Inserts the stream rows of the appends matching {@code where}, in one sorted order. */
    private static String insertStreams(Schema schema, String where, String onConflict) {
        return "INSERT INTO " + schema.streams() + " AS s (stream_type, stream_uuid, tip)"
                + " SELECT a.t, a.u, a.n FROM a WHERE " + where + " ORDER BY a.t, a.u"
                + " ON CONFLICT (stream_type, stream_uuid) " + onConflict + " RETURNING s.stream_type, s.stream_uuid, s.tip";
    }

    /**
     * The statement's SQL for a schema. Appends expecting any version upsert their stream row; those
     * expecting none insert it, or do nothing if it exists; the others update it only if its tip is
     * in their range (re-checked on the latest version after a lock wait). Data-modifying {@code
     * WITH} parts all run, whether read or not; the events join only the reserved streams.
     *
     * <p>New stream rows are inserted in one sorted order, and the rows to update are fed to the
     * update sorted (for a small group the plan then updates, and locks, them in that order, though
     * nothing guarantees it), so groups of two processes appending to the same streams rarely
     * deadlock; a deadlock that remains fails the statement, and the store retries the group under
     * savepoints, after PostgreSQL's {@code deadlock_timeout}. Positions are computed with a
     * multiplication, whose overflow is an error, so an exhausted position space fails the statement
     * rather than wrapping (the savepoint path then says so).
     */
    static String sql(Schema schema) {
        String base = "(SELECT m.position_base FROM " + schema.meta() + " m)";
        String xid = "pg_current_xact_id()::text::bigint";
        return "WITH a AS (SELECT * FROM unnest(?::text[], ?::uuid[], ?::int8[], ?::int8[], ?::int8[])"
                + " WITH ORDINALITY AS a(t, u, n, lo, hi, g)),"
                + " anyv AS (" + insertStreams(schema, "a.lo = 0 AND a.hi > 0",
                        "DO UPDATE SET tip = s.tip + EXCLUDED.tip") + "),"
                + " fresh AS (" + insertStreams(schema, "a.hi = 0", "DO NOTHING") + "),"
                + " existing AS (UPDATE " + schema.streams() + " AS s SET tip = s.tip + x.n"
                + " FROM (SELECT * FROM a WHERE a.lo > 0 ORDER BY a.t, a.u) x"
                + " WHERE s.stream_type = x.t AND s.stream_uuid = x.u AND s.tip BETWEEN x.lo AND x.hi"
                + " RETURNING s.stream_type, s.stream_uuid, s.tip),"
                + " reserved AS (SELECT * FROM anyv UNION ALL SELECT * FROM fresh UNION ALL SELECT * FROM existing),"
                + " written AS (INSERT INTO " + schema.events() + " (position, stream_type, stream_uuid, version,"
                + " event_type, event_uuid, recorded_at, data, content_type, metadata)"
                + " SELECT " + base + " + " + xid + " * " + (1L << Schema.INDEX_BITS) + " + e.k - 1, a.t, a.u,"
                + " r.tip - a.n + e.i,"
                + " e.et, e.eu, ?::timestamptz, e.d, e.ct, e.md"
                + " FROM unnest(?::int4[], ?::int4[], ?::text[], ?::uuid[], ?::bytea[], ?::text[], ?::bytea[])"
                + " WITH ORDINALITY AS e(g, i, et, eu, d, ct, md, k)"
                + " JOIN a ON a.g = e.g JOIN reserved r ON r.stream_type = a.t AND r.stream_uuid = a.u"
                + " RETURNING 1)"
                + " SELECT r.stream_type, r.stream_uuid, r.tip, " + xid + ", " + base + ", (SELECT count(*) FROM written)"
                + " FROM reserved r";
    }
}
