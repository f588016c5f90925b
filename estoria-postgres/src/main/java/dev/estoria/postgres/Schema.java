package dev.estoria.postgres;

import java.lang.System.Logger.Level;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * Creates and migrates the store's tables in one schema, and holds the SQL that names them.
 *
 * <p>Tables: {@code meta} (one row: schema version, position mode, position base, highest deleted
 * position), {@code allocator} (one row; strict mode only), {@code streams} (one row per stream: the
 * existence authority and tip) and {@code events}; since version 2 also {@code snapshots} and
 * {@code checkpoints}; since version 3 also {@code leases} and {@code members}.
 *
 * <p>Versions: 1 holds the event tables; 2 adds {@code snapshots} and {@code checkpoints}; 3 adds
 * {@code leases} (projection partition leases) and {@code members} (the heartbeats of the workers
 * sharing them). Opening a
 * schema of an older version migrates it step by step in the opening transaction.
 */
final class Schema {

    /** The schema version this code writes and reads. */
    static final int CURRENT_VERSION = 4;

    /** Bits of a watermark position that hold the event's index within its transaction. */
    static final int INDEX_BITS = 20;
    /** The most events one transaction may write in watermark mode. */
    static final int MAX_EVENTS_PER_TRANSACTION = 1 << INDEX_BITS;

    private static final System.Logger LOG = System.getLogger(PostgresEventStore.class.getName());

    final String name;
    final String q; // quoted schema name, with a trailing dot

    Schema(String name) {
        PostgresOptions.validateSchemaName(name);
        this.name = name;
        this.q = '"' + name + "\".";
    }

    /** The first 64 bits of the SHA-256 of a schema name, in hex: for names derived from it that must stay short. */
    static String digest(String name) {
        try {
            byte[] hash = java.security.MessageDigest.getInstance("SHA-256")
                    .digest(name.getBytes(java.nio.charset.StandardCharsets.UTF_8));
            return java.util.HexFormat.of().formatHex(hash, 0, 8);
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is missing from this Java runtime", e);
        }
    }

    /**
     * The {@code application_name} of a store's sessions: {@code estoria:<schema><suffix>}, or,
     * when that would pass the 63 bytes PostgreSQL keeps (it cuts longer ones silently, so long
     * schema names sharing a prefix would look alike and lose the suffix), as much of the schema
     * name as fits, a tilde and its {@link #digest}.
     */
    static String applicationName(String name, String suffix) {
        String full = "estoria:" + name + suffix;
        if (full.length() <= 63) { // schema names are ASCII
            return full;
        }
        String tail = "~" + digest(name) + suffix;
        return "estoria:" + name.substring(0, 63 - "estoria:".length() - tail.length()) + tail;
    }

    /** {@code identifier} as a quoted SQL identifier: in double quotes, each one inside doubled. */
    static String quoteIdentifier(String identifier) {
        return '"' + identifier.replace("\"", "\"\"") + '"';
    }

    String meta() {
        return q + "meta";
    }

    String allocator() {
        return q + "allocator";
    }

    String streams() {
        return q + "streams";
    }

    String events() {
        return q + "events";
    }

    String snapshots() {
        return q + "snapshots";
    }

    String checkpoints() {
        return q + "checkpoints";
    }

    String leases() {
        return q + "leases";
    }

    String members() {
        return q + "members";
    }

    /**
     * What opening found: the role the store's sessions run as, and why they may not write, or
     * null when they may.
     */
    record Opened(String role, String readOnlyReason) {

        boolean readOnly() {
            return readOnlyReason != null;
        }
    }

    /**
     * Opens the schema in one transaction under an advisory lock derived from the schema name, so
     * processes opening at once take turns.
     *
     * <p>For a session that may write the event tables (see {@link #readOnlyReason}): creates or
     * migrates the schema, checks the mode, and raises the position base (the strict
     * allocator) after a restore; a writer that lacks a privilege any of that needs is refused,
     * never let through without the check. For a session that may not write (a role with only
     * {@code SELECT}, or a read-only transaction), nothing is written or locked beyond the advisory
     * lock: the schema must exist at the current version, with the right mode, and in watermark
     * mode its position base must need no raising, since a reader cannot raise it and a base left
     * low would hide the restored events from global reads. Such a store refuses appends and
     * deletions itself, so no event is ever written by a store that skipped the check.
     */
    Opened migrate(Connection c, boolean strict) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        String role = null;
        try {
            try (Statement s = c.createStatement()) {
                // A caller's pool may default to repeatable read: its snapshot, taken before the lock
                // wait below, would hide the tables an opener that held the lock has just created.
                s.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED");
            }
            try (PreparedStatement lock = c.prepareStatement(
                    "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))")) {
                // Advisory locks need no privilege, so readers take turns with openers too.
                lock.setString(1, "dev.estoria.postgres.schema:" + name);
                lock.execute();
            }
            boolean schemaExists;
            try (PreparedStatement exists = c.prepareStatement("SELECT current_user,"
                    + " EXISTS (SELECT 1 FROM pg_catalog.pg_namespace WHERE nspname = ?)")) {
                exists.setString(1, name);
                try (ResultSet rs = exists.executeQuery()) {
                    rs.next();
                    role = rs.getString(1);
                    schemaExists = rs.getBoolean(2);
                }
            }
            Integer version = null;
            String mode = null;
            try (Statement s = c.createStatement()) {
                if (!schemaExists) {
                    // Only when missing: CREATE SCHEMA IF NOT EXISTS needs the database's CREATE
                    // privilege even for a schema that exists, which an application's role using a
                    // schema its administrator created usually lacks.
                    try {
                        s.execute("CREATE SCHEMA IF NOT EXISTS \"" + name + '"');
                    } catch (SQLException e) {
                        if (Sql.isRefused(e)) {
                            throw new PermissionDeniedException("schema \"" + name + "\" does not exist, and role \""
                                    + role + "\" may not create it (" + e.getMessage() + "). Have an administrator"
                                    + " create it (CREATE SCHEMA \"" + name + "\" AUTHORIZATION " + quoteIdentifier(role) + "), or"
                                    + " open the store once with a role that may create schemas in the database.", e);
                        }
                        throw e;
                    }
                }
                try (ResultSet rs = s.executeQuery("SELECT to_regclass('" + meta() + "') IS NOT NULL")) {
                    rs.next();
                    if (rs.getBoolean(1)) {
                        try (ResultSet m = s.executeQuery("SELECT schema_version, position_mode FROM " + meta())) {
                            if (m.next()) {
                                version = m.getInt(1);
                                mode = m.getString(2);
                            }
                        }
                    }
                }
            }
            String wanted = strict ? "strict" : "watermark";
            String step;
            if (version == null) {
                try {
                    create(c, strict);
                } catch (SQLException e) {
                    if (Sql.isRefused(e)) {
                        throw new PermissionDeniedException("schema \"" + name + "\" holds no event store, and role \""
                                + role + "\" may not create its tables (" + e.getMessage() + "). Grant the role CREATE"
                                + " on the schema, or open the store once with a role that may (its owner).", e);
                    }
                    throw e;
                }
                LOG.log(Level.DEBUG, "created event store schema {0} (version {1}, {2} positions)", name,
                        CURRENT_VERSION, wanted);
            } else {
                if (version > CURRENT_VERSION) {
                    throw new IncompatibleSchemaException("schema \"" + name + "\" has version " + version
                            + ", written by a newer version of Estoria; this version supports schema versions up to "
                            + CURRENT_VERSION + ". Upgrade Estoria to use it.");
                }
                if (!wanted.equals(mode)) {
                    throw new IncompatibleSchemaException("schema \"" + name + "\" was created with " + mode
                            + " positions; it cannot be opened with " + wanted
                            + " positions (mixing the modes would break the global order)");
                }
                String readOnly = readOnlyReason(c, role);
                if (readOnly != null) {
                    if (version < CURRENT_VERSION) {
                        throw new IncompatibleSchemaException("schema \"" + name + "\" has version " + version
                                + ", older than the version " + CURRENT_VERSION + " this version of Estoria uses,"
                                + " and this opener cannot migrate it: " + readOnly + ". Open the store once with a"
                                + " role that may write it, which will migrate it.");
                    }
                    if (!strict) {
                        // Strict reads use no base: positions are the allocator's, which only writers use.
                        requireRaisedPositionBase(c, readOnly);
                    }
                    c.commit();
                    return new Opened(role, readOnly);
                }
                // Version 4 alters a table, which only its owner may do (GRANT cannot give that).
                step = "migrating it from version " + version + (version < 4
                        ? " (adding a column to " + snapshots() + " needs the owner of the schema's tables: open the"
                                + " store once as that owner, and it is migrated)" : "");
                try {
                    if (version < 2) {
                        createVersion2Tables(c);
                        LOG.log(Level.INFO, "migrated event store schema {0} from version {1} to 2", name, version);
                    }
                    if (version < 3) {
                        createVersion3Tables(c);
                        LOG.log(Level.INFO, "migrated event store schema {0} to version 3", name);
                    }
                    if (version < 4) {
                        addVersion4Columns(c);
                        LOG.log(Level.INFO, "migrated event store schema {0} to version 4", name);
                    }
                    if (version < CURRENT_VERSION) {
                        try (Statement s = c.createStatement()) {
                            s.executeUpdate("UPDATE " + meta() + " SET schema_version = " + CURRENT_VERSION);
                        }
                    }
                } catch (SQLException e) {
                    if (Sql.isRefused(e)) {
                        throw refusedWriter(e, role, step);
                    }
                    throw e;
                }
            }
            step = strict ? "keeping the position allocator above the positions in use (UPDATE on " + allocator() + ")"
                    : "checking, and after a restore raising, the position base (UPDATE on " + meta() + ")";
            try {
                if (strict) {
                    raiseAllocator(c);
                } else {
                    raisePositionBase(c);
                }
            } catch (SQLException e) {
                if (Sql.isRefused(e)) {
                    throw refusedWriter(e, role, step);
                }
                throw e;
            }
            c.commit();
            return new Opened(role, null);
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            if (e instanceof SQLException sql && Sql.isRefused(sql)) {
                throw new PermissionDeniedException("opening event store schema \"" + name + "\" was refused: role \""
                        + role + "\" lacks a privilege it needs (" + e.getMessage() + "); a reader needs USAGE on the"
                        + " schema and SELECT on its tables", e);
            }
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }

    /**
     * The failure of a writer's open whose step PostgreSQL refused for lack of a privilege, naming
     * the step. A role that may write events must not open without the position-base check, so
     * such a role is refused, never opened read-only.
     */
    private PermissionDeniedException refusedWriter(SQLException e, String role, String step) {
        return new PermissionDeniedException("role \"" + role + "\" may write the event tables of schema \"" + name
                + "\", so opening must go on to " + step + ", which the role may not do (" + e.getMessage()
                + "). Grant it that privilege, or revoke its INSERT, UPDATE and DELETE privileges on the schema's"
                + " tables so that it opens the store read-only.", e);
    }

    /**
     * Why this session may not write the event tables, or null when it may: a read-only
     * transaction ({@code default_transaction_read_only}, a hot standby), or a role without any of
     * the privileges appends and deletions use ({@code INSERT} or {@code UPDATE} on any column, or
     * {@code DELETE}, on {@code events}, {@code streams}, {@code meta} or {@code allocator}). A
     * role holding any one of them is a writer, and opens only through the full check.
     */
    private String readOnlyReason(Connection c, String role) throws SQLException {
        StringBuilder sql = new StringBuilder("SELECT current_setting('transaction_read_only') = 'on', ");
        String or = "";
        for (String table : new String[] {events(), streams(), meta(), allocator()}) {
            sql.append(or).append("has_any_column_privilege('").append(table).append("', 'INSERT, UPDATE')")
                    .append(" OR has_table_privilege('").append(table).append("', 'DELETE')");
            or = " OR ";
        }
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql.toString())) {
            rs.next();
            if (rs.getBoolean(1)) {
                return "the sessions of role \"" + role + "\" are read-only (transaction_read_only is on:"
                        + " default_transaction_read_only is set, or the server is a standby)";
            }
            if (!rs.getBoolean(2)) {
                return "role \"" + role + "\" may not write the event tables of schema \"" + name + "\"";
            }
            return null;
        }
    }

    /**
     * For a reader, which cannot raise it: fails unless the position base needs no raising, the
     * test {@link #raisePositionBase} makes. A base left low puts the watermark below the restored
     * positions, so global reads would return a prefix of the feed, and nothing would say so.
     * Holding no lock is enough: only an opener raises the base, under the advisory lock held here,
     * and once raised it stays high enough, since this cluster's transaction IDs only grow.
     */
    private void requireRaisedPositionBase(Connection c, String readOnly) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT m.position_base,"
                        + " greatest((SELECT max(position) FROM " + events() + "), m.deleted_position_high),"
                        + " pg_snapshot_xmax(pg_current_snapshot())::text::bigint FROM " + meta() + " m")) {
            rs.next();
            long base = rs.getLong(1);
            long used = rs.getLong(2);
            long xmax = rs.getLong(3);
            if (used >= base + (xmax << INDEX_BITS)) {
                throw new PermissionDeniedException("schema \"" + name + "\" holds positions up to " + used
                        + ", above those this cluster's transaction IDs give with its position base " + base
                        + ": it was restored from another cluster, and no writer has opened it since to raise the"
                        + " base. Until one does, global reads would not return the restored events, and a reader"
                        + " cannot raise it: " + readOnly + ". Open the store once with a role that may write it.");
            }
        }
    }

    private void create(Connection c, boolean strict) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + meta() + " ("
                    + " only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),"
                    + " schema_version integer NOT NULL,"
                    + " position_mode text NOT NULL CHECK (position_mode IN ('watermark', 'strict')),"
                    + " position_base bigint NOT NULL DEFAULT 0,"
                    + " deleted_position_high bigint NOT NULL DEFAULT 0,"
                    + " created_at timestamptz NOT NULL DEFAULT now())");
            s.execute("CREATE TABLE " + allocator() + " ("
                    + " only_row boolean PRIMARY KEY DEFAULT true CHECK (only_row),"
                    + " last_position bigint NOT NULL)");
            s.execute("CREATE TABLE " + streams() + " ("
                    + " stream_type text NOT NULL,"
                    + " stream_uuid uuid NOT NULL,"
                    + " tip bigint NOT NULL CHECK (tip > 0),"
                    + " PRIMARY KEY (stream_type, stream_uuid))");
            s.execute("CREATE TABLE " + events() + " ("
                    + " position bigint PRIMARY KEY CHECK (position > 0),"
                    + " xid xid8 NOT NULL DEFAULT pg_current_xact_id(),"
                    + " stream_type text NOT NULL,"
                    + " stream_uuid uuid NOT NULL,"
                    + " version bigint NOT NULL CHECK (version > 0),"
                    + " event_type text NOT NULL,"
                    + " event_uuid uuid NOT NULL,"
                    + " recorded_at timestamptz NOT NULL,"
                    + " data bytea NOT NULL,"
                    + " content_type text NOT NULL,"
                    + " metadata bytea NOT NULL,"
                    + " CONSTRAINT events_stream_version_key UNIQUE (stream_type, stream_uuid, version),"
                    + " CONSTRAINT events_event_uuid_key UNIQUE (event_uuid))");
            // Filtered global reads by stream type (category) walk this index in position order.
            s.execute("CREATE INDEX events_stream_type_position ON " + events() + " (stream_type, position)");
            s.execute("INSERT INTO " + meta() + " (schema_version, position_mode) VALUES (" + CURRENT_VERSION + ", '"
                    + (strict ? "strict" : "watermark") + "')");
            s.execute("INSERT INTO " + allocator() + " (last_position) VALUES (0)");
        }
        createVersion2Tables(c);
        createVersion3Tables(c);
        addVersion4Columns(c);
    }

    /** The tables version 2 added: snapshots and projection checkpoints. */
    private void createVersion2Tables(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + snapshots() + " ("
                    + " aggregate_type text NOT NULL,"
                    + " aggregate_uuid uuid NOT NULL,"
                    + " version bigint NOT NULL CHECK (version > 0),"
                    + " taken_at timestamptz NOT NULL,"
                    + " data bytea NOT NULL,"
                    + " content_type text NOT NULL,"
                    + " PRIMARY KEY (aggregate_type, aggregate_uuid, version))");
            s.execute("CREATE TABLE " + checkpoints() + " ("
                    + " projection_name text NOT NULL,"
                    + " projection_version integer NOT NULL CHECK (projection_version > 0),"
                    + " position bigint NOT NULL CHECK (position >= 0),"
                    + " updated_at timestamptz NOT NULL,"
                    + " PRIMARY KEY (projection_name, projection_version))");
        }
    }

    /**
     * The tables version 3 added: projection partition leases and worker heartbeats. A lease row is
     * never deleted (a release only makes it expire), so its token keeps growing across
     * acquisitions.
     */
    private void createVersion3Tables(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + leases() + " ("
                    + " lease_group text NOT NULL,"
                    + " partition integer NOT NULL CHECK (partition >= 0),"
                    + " owner text NOT NULL,"
                    + " token bigint NOT NULL CHECK (token > 0),"
                    + " expires_at timestamptz NOT NULL,"
                    + " PRIMARY KEY (lease_group, partition))");
            s.execute("CREATE TABLE " + members() + " ("
                    + " lease_group text NOT NULL,"
                    + " owner text NOT NULL,"
                    + " expires_at timestamptz NOT NULL,"
                    + " PRIMARY KEY (lease_group, owner))");
        }
    }

    /**
     * What version 4 added: the UUID of the event a snapshot was taken at, NULL in rows written
     * before. Adding a nullable column without a default rewrites no row.
     */
    private void addVersion4Columns(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.execute("ALTER TABLE " + snapshots() + " ADD COLUMN event_uuid uuid");
        }
    }

    /**
     * Raises the position base when positions already used (stored, or deleted) come from
     * transaction IDs this cluster has not handed out yet. That happens after a dump is restored
     * into another cluster, whose transaction IDs start low again.
     *
     * <p>The test is against the snapshot's xmax: every transaction of this cluster that has ended
     * has an ID below it, so its positions are below {@code base + (xmax << INDEX_BITS)}. Testing
     * against xmin instead would also catch the ordinary case of a later transaction committing
     * while an earlier one is still open, and raising the base then would lift the watermark over
     * the later events before the earlier one commits below them: readers would skip it. Once
     * raised, every transaction that may still write has an ID at or above the snapshot's xmin, so
     * new positions start above every old one, and the old rows are below every later watermark.
     */
    private void raisePositionBase(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT m.position_base, pg_snapshot_xmin(pg_current_snapshot())::text::bigint,"
                        + " greatest((SELECT max(position) FROM " + events() + "), m.deleted_position_high),"
                        + " pg_snapshot_xmax(pg_current_snapshot())::text::bigint"
                        + " FROM " + meta() + " m FOR UPDATE")) {
            rs.next();
            long base = rs.getLong(1);
            long xmin = rs.getLong(2);
            long used = rs.getLong(3);
            long xmax = rs.getLong(4);
            if (used >= base + (xmax << INDEX_BITS)) {
                long newBase = used + 1 - (xmin << INDEX_BITS);
                try (PreparedStatement u = c.prepareStatement("UPDATE " + meta() + " SET position_base = ?")) {
                    u.setLong(1, newBase);
                    u.executeUpdate();
                }
                LOG.log(Level.WARNING, "event store schema {0}: positions up to {1} are in use but this cluster''s"
                        + " transaction IDs would give lower ones (the data was restored from another cluster);"
                        + " raised the position base from {2} to {3}", name, Long.toString(used), Long.toString(base),
                        Long.toString(newBase));
            }
        }
    }

    /** Keeps the strict allocator above every position in use, for the same restore case. */
    private void raiseAllocator(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE " + allocator() + " a SET last_position = greatest(a.last_position,"
                    + " (SELECT coalesce(max(position), 0) FROM " + events() + "),"
                    + " (SELECT deleted_position_high FROM " + meta() + "))");
        }
    }
}
