package dev.estoria.sqlite;

import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.ExpectedVersion;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.spi.EventLocation;
import dev.estoria.eventstore.spi.IdempotentAppends;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import java.util.function.IntFunction;

/**
 * The writes of the store, run only by the holder of the write connection, inside the write
 * transaction (in a savepoint when the transaction is shared).
 * The {@code streams} row of a stream is its existence authority and holds its tip; it is read and
 * changed in the same transaction as the events, so the expectation check and the write are atomic.
 *
 * <p>Appends that share a transaction are applied together ({@link #applyAll}): one lookup of all
 * their caller-chosen event IDs, one of all their streams' tips, the expectation checks in memory,
 * then multi-row inserts of all their events and one upsert of the tips. That gives each append the
 * outcome it would have had alone, after the ones before it in the group, as long as none of its
 * caller-chosen event IDs is stored already or claimed twice in the group; groups with such an ID
 * are handed back, to be applied one append at a time, where the idempotency rules are worked out.
 */
final class WriteStatements implements GroupCommitWriter.Batcher, GroupCommitWriter.StatementCache, AutoCloseable {

    /** An event ready to insert: validated and encoded on the appending thread. */
    record PendingEvent(String type, UUID uuid, byte[] data, String contentType, Map<String, String> metadata,
            byte[] encodedMetadata) {
    }

    /** The most events one INSERT statement carries (9 parameters each). */
    static final int ROWS_PER_INSERT = 32;

    /** The most keys one lookup of a batch carries, and the most streams one upsert of a batch. */
    static final int KEYS_PER_STATEMENT = 64;

    private final Path file;
    private final Clock clock;
    private final Connection connection;
    // Prepared once, and again after a failed statement (prepareAgain); used only by the holder of
    // the write connection.
    private PreparedStatement streamVersion;
    private PreparedStatement locate;
    /** By row count: the INSERT of that many events, prepared on first use. */
    private final PreparedStatement[] insertEvents = new PreparedStatement[ROWS_PER_INSERT + 1];
    private PreparedStatement upsertStream;
    private PreparedStatement storedRun;
    private PreparedStatement deleteEvents;
    private PreparedStatement deleteStreamRow;
    /** Whether any of up to {@link #KEYS_PER_STATEMENT} event IDs is stored. */
    private PreparedStatement anyStored;
    /** The tips of up to {@link #KEYS_PER_STATEMENT} streams. */
    private PreparedStatement tips;
    /** By row count: the multi-stream INSERT of a batch, which names each row's stream. */
    private final PreparedStatement[] insertBatch = new PreparedStatement[ROWS_PER_INSERT + 1];
    /** By row count: the upsert of that many streams' tips. */
    private final PreparedStatement[] upsertTips = new PreparedStatement[KEYS_PER_STATEMENT + 1];

    WriteStatements(Path file, Connection connection, Clock clock) throws SQLException {
        this.file = file;
        this.clock = clock;
        this.connection = connection;
        prepare();
    }

    private void prepare() throws SQLException {
        streamVersion = connection.prepareStatement("SELECT version FROM streams WHERE stream_id = ?");
        locate = connection.prepareStatement("SELECT stream_id, version FROM events WHERE event_uuid = ?");
        // Run as a query: sqlite-jdbc follows every executeUpdate of an INSERT with a freshly prepared
        // SELECT last_insert_rowid(): a statement prepared for every append, which a profile of the
        // writer under load showed.
        upsertStream = connection.prepareStatement("INSERT INTO streams (stream_id, version) VALUES (?, ?) "
                + "ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version RETURNING version");
        storedRun = connection.prepareStatement("SELECT " + EventRows.COLUMNS
                + " FROM events WHERE stream_id = ? AND version >= ? ORDER BY version LIMIT ?");
        deleteEvents = connection.prepareStatement("DELETE FROM events WHERE stream_id = ? AND version <= ?");
        deleteStreamRow = connection.prepareStatement("DELETE FROM streams WHERE stream_id = ?");
        // Fixed-size lists, padded with repeats of their last key: one statement serves every batch.
        anyStored = connection.prepareStatement("SELECT 1 FROM events WHERE event_uuid IN ("
                + placeholders(KEYS_PER_STATEMENT) + ") LIMIT 1");
        tips = connection.prepareStatement("SELECT stream_id, version FROM streams WHERE stream_id IN ("
                + placeholders(KEYS_PER_STATEMENT) + ")");
    }

    /**
     * Closes every statement and prepares the fixed ones again, the others on their next use: after
     * a failed statement, which sqlite-jdbc may have finalized for good (see {@link
     * GroupCommitWriter}).
     */
    @Override
    public void prepareAgain() throws SQLException {
        closeAll(true);
        prepare();
    }

    private static String placeholders(int n) {
        return String.join(", ", Collections.nCopies(n, "?"));
    }

    /** An append, ready to be applied alone or together with the others of its group. */
    GroupCommitWriter.Batchable<List<Event>> appendWork(TypeId streamId, List<WritableEvent> batch,
            List<PendingEvent> pending, ExpectedVersion expected) {
        return new Append(streamId, batch, pending, expected);
    }

    private final class Append implements GroupCommitWriter.Batchable<List<Event>> {
        final TypeId streamId;
        final String stream;
        final List<WritableEvent> batch;
        final List<PendingEvent> pending;
        final ExpectedVersion expected;

        Append(TypeId streamId, List<WritableEvent> batch, List<PendingEvent> pending, ExpectedVersion expected) {
            this.streamId = streamId;
            this.stream = streamId.toString();
            this.batch = batch;
            this.pending = pending;
            this.expected = expected;
        }

        @Override
        public List<Event> run(Connection connection) throws SQLException {
            return append(streamId, batch, pending, expected);
        }

        @Override
        public GroupCommitWriter.Batcher batcher() {
            return WriteStatements.this;
        }
    }

    /** The events a batch writes to one stream: versions {@code base + 1} to {@code tip}. */
    private static final class StreamRun {
        final long base;
        long tip;
        long[] positions;

        StreamRun(long base) {
            this.base = base;
            this.tip = base;
        }
    }

    /**
     * Applies a group's appends together; see the class comment. Returns null, having written
     * nothing, if a caller-chosen event ID of the group is stored already or claimed twice.
     */
    @Override
    public GroupCommitWriter.Outcome[] applyAll(List<GroupCommitWriter.Batchable<?>> items) throws SQLException {
        List<Append> appends = new ArrayList<>(items.size());
        for (GroupCommitWriter.Batchable<?> item : items) {
            appends.add((Append) item);
        }
        // Only caller-chosen IDs can be stored already or repeated, as in IdempotentAppends: the
        // store mints fresh time-ordered ones (and the unique index would refuse a collision, which
        // sends the group one append at a time).
        List<byte[]> chosen = new ArrayList<>();
        Set<UUID> seen = new HashSet<>();
        for (Append append : appends) {
            for (WritableEvent event : append.batch) {
                if (event.eventId().isPresent()) {
                    UUID id = event.eventId().get();
                    if (!seen.add(id)) {
                        return null;
                    }
                    chosen.add(Encoding.uuidBytes(id));
                }
            }
        }
        if (anyStored(chosen)) {
            return null;
        }
        Map<String, StreamRun> runs = tips(appends);

        GroupCommitWriter.Outcome[] outcomes = new GroupCommitWriter.Outcome[appends.size()];
        long[] firsts = new long[appends.size()];
        boolean anyAccepted = false;
        for (int i = 0; i < appends.size(); i++) {
            Append append = appends.get(i);
            StreamRun run = runs.get(append.stream);
            if (!append.expected.isSatisfiedBy(run.tip)) {
                outcomes[i] = GroupCommitWriter.Outcome.failed(
                        new StreamVersionMismatchException(append.streamId, append.expected, run.tip));
                continue;
            }
            firsts[i] = run.tip + 1;
            run.tip += append.pending.size();
            anyAccepted = true;
        }
        if (!anyAccepted) {
            return outcomes;
        }
        for (StreamRun run : runs.values()) {
            run.positions = new long[(int) (run.tip - run.base)];
        }
        Instant now = Encoding.truncate(clock.instant());
        insertBatch(appends, outcomes, firsts, runs, Encoding.toMicros(now));
        upsertTips(runs);

        for (int i = 0; i < appends.size(); i++) {
            if (outcomes[i] != null) {
                continue;
            }
            Append append = appends.get(i);
            StreamRun run = runs.get(append.stream);
            List<Event> written = new ArrayList<>(append.pending.size());
            for (int e = 0; e < append.pending.size(); e++) {
                PendingEvent event = append.pending.get(e);
                long version = firsts[i] + e;
                written.add(new Event(new TypeId(event.type(), event.uuid()), append.streamId, version,
                        OptionalLong.of(run.positions[(int) (version - run.base - 1)]), now, event.data(),
                        event.contentType(), event.metadata()));
            }
            outcomes[i] = GroupCommitWriter.Outcome.of(List.copyOf(written));
        }
        return outcomes;
    }

    private boolean anyStored(List<byte[]> ids) throws SQLException {
        for (int from = 0; from < ids.size(); from += KEYS_PER_STATEMENT) {
            bindPadded(anyStored, ids, from);
            try (ResultSet rows = anyStored.executeQuery()) {
                if (rows.next()) {
                    return true;
                }
            }
        }
        return false;
    }

    /**
     * Binds {@code keys[from, from + KEYS_PER_STATEMENT)} to the statement's fixed-size IN list,
     * repeating the last key where fewer are left.
     */
    private static void bindPadded(PreparedStatement statement, List<?> keys, int from) throws SQLException {
        int last = Math.min(keys.size(), from + KEYS_PER_STATEMENT) - 1;
        for (int p = 0; p < KEYS_PER_STATEMENT; p++) {
            statement.setObject(p + 1, keys.get(Math.min(from + p, last)));
        }
    }

    /** The tip of every stream the appends write to, by stream ID (0 for a stream that does not exist). */
    private Map<String, StreamRun> tips(List<Append> appends) throws SQLException {
        Map<String, StreamRun> runs = new LinkedHashMap<>();
        for (Append append : appends) {
            runs.putIfAbsent(append.stream, new StreamRun(0));
        }
        List<String> streams = new ArrayList<>(runs.keySet());
        for (int from = 0; from < streams.size(); from += KEYS_PER_STATEMENT) {
            bindPadded(tips, streams, from);
            try (ResultSet rows = tips.executeQuery()) {
                while (rows.next()) {
                    runs.put(rows.getString(1), new StreamRun(rows.getLong(2)));
                }
            }
        }
        return runs;
    }

    /** One event of a batch, with the version it gets. */
    private record Row(Append append, PendingEvent event, long version) {
    }

    /** Inserts the events of the accepted appends (those without an outcome yet), recording their positions. */
    private void insertBatch(List<Append> appends, GroupCommitWriter.Outcome[] outcomes, long[] firsts,
            Map<String, StreamRun> runs, long micros) throws SQLException {
        List<Row> rows = new ArrayList<>();
        for (int i = 0; i < appends.size(); i++) {
            if (outcomes[i] == null) {
                Append append = appends.get(i);
                for (int e = 0; e < append.pending.size(); e++) {
                    rows.add(new Row(append, append.pending.get(e), firsts[i] + e));
                }
            }
        }
        for (int from = 0; from < rows.size(); from += ROWS_PER_INSERT) {
            int count = Math.min(ROWS_PER_INSERT, rows.size() - from);
            PreparedStatement insert =
                    cached(insertBatch, count, n -> insertSql(n) + " RETURNING stream_id, version, position");
            int p = 1;
            for (Row row : rows.subList(from, from + count)) {
                p = bindEvent(insert, p, row.append.streamId, row.append.stream, row.version, row.event, micros);
            }
            int returned = 0;
            try (ResultSet inserted = insert.executeQuery()) {
                // RETURNING gives no order, so each row says which event it is.
                while (inserted.next()) {
                    StreamRun run = runs.get(inserted.getString(1));
                    run.positions[(int) (inserted.getLong(2) - run.base - 1)] = inserted.getLong(3);
                    returned++;
                }
            }
            if (returned != count) {
                throw new SQLException("INSERT ... RETURNING returned " + returned + " rows for " + count + " events");
            }
        }
    }

    /** Sets the tip of every stream the batch wrote to. */
    private void upsertTips(Map<String, StreamRun> runs) throws SQLException {
        List<Map.Entry<String, StreamRun>> changed = new ArrayList<>(runs.size());
        for (Map.Entry<String, StreamRun> entry : runs.entrySet()) {
            if (entry.getValue().tip != entry.getValue().base) {
                changed.add(entry);
            }
        }
        for (int from = 0; from < changed.size(); from += KEYS_PER_STATEMENT) {
            int count = Math.min(KEYS_PER_STATEMENT, changed.size() - from);
            PreparedStatement upsert = cached(upsertTips, count, n -> "INSERT INTO streams (stream_id, version) VALUES "
                    + String.join(", ", Collections.nCopies(n, "(?, ?)"))
                    + " ON CONFLICT (stream_id) DO UPDATE SET version = excluded.version RETURNING version");
            int p = 1;
            for (int r = from; r < from + count; r++) {
                upsert.setString(p++, changed.get(r).getKey());
                upsert.setLong(p++, changed.get(r).getValue().tip);
            }
            int returned = 0;
            try (ResultSet rows = upsert.executeQuery()) {
                while (rows.next()) {
                    returned++;
                }
            }
            if (returned != count) {
                throw new SQLException("the upsert of " + count + " stream tips returned " + returned + " rows");
            }
        }
    }

    /** Appends one validated batch; see {@link dev.estoria.eventstore.StreamWriter#appendStream}. */
    List<Event> append(TypeId streamId, List<WritableEvent> batch, List<PendingEvent> pending, ExpectedVersion expected)
            throws SQLException {
        String stream = streamId.toString();
        OptionalLong stored;
        try {
            stored = IdempotentAppends.classify(streamId, batch, this::locate);
        } catch (GroupCommitWriter.SqlFailure e) {
            throw e.getCause();
        }
        if (stored.isPresent()) {
            List<Event> run = storedRun(streamId, stored.getAsLong(), batch.size());
            IdempotentAppends.requireSameContent(streamId, batch, run);
            return run;
        }
        long current = tip(stream);
        if (!expected.isSatisfiedBy(current)) {
            throw new StreamVersionMismatchException(streamId, expected, current);
        }
        Instant now = Encoding.truncate(clock.instant());
        long micros = Encoding.toMicros(now);
        long[] positions = insertEvents(streamId, stream, current, micros, pending);
        List<Event> written = new ArrayList<>(pending.size());
        for (int i = 0; i < pending.size(); i++) {
            PendingEvent event = pending.get(i);
            written.add(new Event(new TypeId(event.type(), event.uuid()), streamId, current + i + 1,
                    OptionalLong.of(positions[i]), now, event.data(), event.contentType(), event.metadata()));
        }
        upsertStream.setString(1, stream);
        upsertStream.setLong(2, current + pending.size());
        try (ResultSet rows = upsertStream.executeQuery()) {
            if (!rows.next()) {
                throw new SQLException("INSERT ... RETURNING returned no version");
            }
        }
        return List.copyOf(written);
    }

    /**
     * Inserts the events as versions {@code current + 1} on, up to {@link #ROWS_PER_INSERT} a
     * statement, and returns their positions in version order. One statement per event cost more
     * than SQLite's own work for it (a profile of 10-event appends under load put two thirds of
     * the writer's time in executing and closing those statements).
     */
    private long[] insertEvents(TypeId streamId, String stream, long current, long micros, List<PendingEvent> pending)
            throws SQLException {
        long[] positions = new long[pending.size()];
        for (int from = 0; from < pending.size(); from += ROWS_PER_INSERT) {
            int rows = Math.min(ROWS_PER_INSERT, pending.size() - from);
            PreparedStatement insert = cached(insertEvents, rows, n -> insertSql(n) + " RETURNING version, position");
            int p = 1;
            for (int i = from; i < from + rows; i++) {
                p = bindEvent(insert, p, streamId, stream, current + i + 1, pending.get(i), micros);
            }
            int returned = 0;
            try (ResultSet inserted = insert.executeQuery()) {
                // RETURNING gives no order, so each row says which version it is.
                while (inserted.next()) {
                    positions[(int) (inserted.getLong(1) - current - 1)] = inserted.getLong(2);
                    returned++;
                }
            }
            if (returned != rows) {
                throw new SQLException("INSERT ... RETURNING returned " + returned + " rows for " + rows + " events");
            }
        }
        return positions;
    }

    /** The statement for {@code rows} rows from {@code cache}, prepared from {@code sql} on first use. */
    private PreparedStatement cached(PreparedStatement[] cache, int rows, IntFunction<String> sql) throws SQLException {
        PreparedStatement statement = cache[rows];
        if (statement == null) {
            statement = connection.prepareStatement(sql.apply(rows));
            cache[rows] = statement;
        }
        return statement;
    }

    /** Binds one event's row of {@link #insertSql} from parameter {@code p} on; returns the next parameter. */
    private static int bindEvent(PreparedStatement insert, int p, TypeId streamId, String stream, long version,
            PendingEvent event, long micros) throws SQLException {
        insert.setString(p++, stream);
        insert.setString(p++, streamId.type());
        insert.setLong(p++, version);
        insert.setBytes(p++, Encoding.uuidBytes(event.uuid()));
        insert.setString(p++, event.type());
        insert.setLong(p++, micros);
        insert.setBytes(p++, event.data());
        insert.setString(p++, event.contentType());
        insert.setBytes(p++, event.encodedMetadata());
        return p;
    }

    private static String insertSql(int rows) {
        return "INSERT INTO events (stream_id, stream_type, version, event_uuid, event_type, recorded_us, data,"
                + " content_type, metadata) VALUES "
                + String.join(", ", Collections.nCopies(rows, "(?, ?, ?, ?, ?, ?, ?, ?, ?)"));
    }

    /** Deletes or truncates a stream; see {@link dev.estoria.eventstore.StreamDeleter#deleteStream}. */
    Void delete(TypeId streamId, DeleteStreamOptions options) throws SQLException {
        String stream = streamId.toString();
        long tip = tip(stream);
        if (tip == 0) {
            throw new StreamNotFoundException(streamId);
        }
        long cut = options.isTruncation() ? Math.min(options.toVersion(), tip) : tip;
        deleteEvents.setString(1, stream);
        deleteEvents.setLong(2, cut);
        deleteEvents.executeUpdate();
        if (!options.isTruncation()) {
            // Without its row the stream is absent again, and its next append starts at version 1.
            deleteStreamRow.setString(1, stream);
            deleteStreamRow.executeUpdate();
        }
        return null;
    }

    /** The stream's tip, or 0 if the stream does not exist. */
    private long tip(String stream) throws SQLException {
        streamVersion.setString(1, stream);
        try (ResultSet rows = streamVersion.executeQuery()) {
            return rows.next() ? rows.getLong(1) : 0;
        }
    }

    private EventLocation locate(UUID uuid) {
        try {
            locate.setBytes(1, Encoding.uuidBytes(uuid));
            try (ResultSet rows = locate.executeQuery()) {
                if (!rows.next()) {
                    return null;
                }
                String stream = rows.getString(1);
                try {
                    return new EventLocation(TypeId.parse(stream), rows.getLong(2));
                } catch (IllegalArgumentException e) {
                    throw new EventStoreException("the event " + uuid + " in " + file
                            + " has a damaged stream ID: " + e.getMessage(), e);
                }
            }
        } catch (SQLException e) {
            throw new GroupCommitWriter.SqlFailure(e);
        }
    }

    private List<Event> storedRun(TypeId streamId, long firstVersion, int count) throws SQLException {
        storedRun.setString(1, streamId.toString());
        storedRun.setLong(2, firstVersion);
        storedRun.setLong(3, count);
        EventRows mapper = new EventRows(file, streamId);
        List<Event> events = new ArrayList<>(count);
        try (ResultSet rows = storedRun.executeQuery()) {
            while (rows.next()) {
                events.add(mapper.read(rows));
            }
        }
        if (events.size() != count) {
            throw new EventStoreException("the stored events of " + streamId + " from version " + firstVersion
                    + " in " + file + " are incomplete: expected " + count + ", found " + events.size());
        }
        return List.copyOf(events);
    }

    @Override
    public void close() throws SQLException {
        closeAll(false);
    }

    private void closeAll(boolean quietly) throws SQLException {
        for (PreparedStatement statement : List.of(streamVersion, locate, upsertStream, storedRun, deleteEvents,
                deleteStreamRow, anyStored, tips)) {
            close(statement, quietly);
        }
        for (PreparedStatement[] cache : List.of(insertEvents, insertBatch, upsertTips)) {
            for (int i = 0; i < cache.length; i++) {
                if (cache[i] != null) {
                    close(cache[i], quietly);
                    cache[i] = null;
                }
            }
        }
    }

    private static void close(PreparedStatement statement, boolean quietly) throws SQLException {
        try {
            statement.close();
        } catch (SQLException e) {
            if (!quietly) {
                throw e;
            }
        }
    }
}
