package dev.estoria.postgres;

import dev.estoria.eventstore.EventStoreException;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.SQLNonTransientConnectionException;
import java.sql.SQLRecoverableException;
import java.sql.SQLTimeoutException;
import java.sql.SQLTransientConnectionException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.util.Set;
import org.postgresql.PGConnection;
import org.postgresql.PGStatement;

/** SQL helpers shared by the store's reads and writes: columns, result format and error classification. */
final class Sql {

    /** The event columns, in the order {@link EventRows} reads them. */
    static final String EVENT_COLUMNS =
            "e.position, e.stream_type, e.stream_uuid, e.version, e.event_type, e.event_uuid, e.recorded_at,"
                    + " e.data, e.content_type, e.metadata";

    /**
     * The columns of a stream read: as {@link #EVENT_COLUMNS}, but without the stream's type and UUID,
     * which the caller knows; fewer bytes per row on the wire.
     */
    static final String STREAM_EVENT_COLUMNS =
            "e.position, NULL::text, NULL::uuid, e.version, e.event_type, e.event_uuid, e.recorded_at,"
                    + " e.data, e.content_type, e.metadata";

    /**
     * The most bytes a payload, or metadata, may have to come with a cursor's rows: a larger one
     * comes as a row without its payload and metadata, fetched on their own when it is read ({@link
     * #cursorColumns}). A fetch thus holds at most {@code rows * 2 * INLINE_BYTES}, whatever the
     * events it meets, while its size is chosen from the events of the fetch before it.
     */
    static final int INLINE_BYTES = 64 << 10;

    /**
     * The columns of a cursor's read: those of {@link #STREAM_EVENT_COLUMNS} when the stream is
     * known, else {@link #EVENT_COLUMNS}, but with a NULL payload or metadata (columns the table
     * declares NOT NULL, so a NULL says it) where it is over {@link #INLINE_BYTES}. {@code
     * octet_length} of a value stored out of line is read from its header, without fetching it;
     * each value is measured once, which a catch-up read of small events feels.
     */
    static String cursorColumns(boolean streamKnown) {
        return "e.position, " + (streamKnown ? "NULL::text, NULL::uuid" : "e.stream_type, e.stream_uuid")
                + ", e.version, e.event_type, e.event_uuid, e.recorded_at, CASE WHEN octet_length(e.data) <= "
                + INLINE_BYTES + " THEN e.data END, e.content_type, CASE WHEN octet_length(e.metadata) <= "
                + INLINE_BYTES + " THEN e.metadata END";
    }

    /**
     * Whether a statement was refused because the server is in recovery (a hot standby): SQLSTATE
     * 25006, which a LISTEN gets only there, since read-only transactions may listen.
     */
    static boolean isDuringRecovery(Exception e) {
        return e instanceof SQLException sql && "25006".equals(sql.getSQLState());
    }

    static final String UNIQUE_VIOLATION = "23505";
    static final String EVENT_UUID_CONSTRAINT = "events_event_uuid_key";

    private static final Set<String> UNAVAILABLE_STATES = Set.of(
            "57P01", // admin shutdown: pg_terminate_backend
            "57P02", // crash shutdown
            "57P03", // cannot connect now
            "57014", // query canceled: statement_timeout
            "53300", // too many connections
            "25P03" // idle-in-transaction session timeout
    );

    /** A lock wait ran out of {@code lock_timeout}: only the statement that waited failed. */
    private static final String LOCK_NOT_AVAILABLE = "55P03";

    /** PostgreSQL refused a statement: the role lacks a privilege, or the transaction is read-only. */
    private static final String INSUFFICIENT_PRIVILEGE = "42501";
    private static final String READ_ONLY_TRANSACTION = "25006";

    private static final Set<String> RETRYABLE_STATES = Set.of(
            "40P01", // deadlock detected: locks taken by appends of several processes' groups
            "40001" // serialization failure
    );

    private Sql() {
    }

    /**
     * How a transaction on a caller's pool gets the store's statement and lock timeouts: select-list
     * items that set them for the rest of the transaction. With the store's own pool the connections
     * have them already, and there are no items.
     */
    record LocalTimeout(boolean applies, Duration timeout, Duration lockTimeout) {

        /** The select-list items, with a leading comma, or empty. */
        String selectItem() {
            return applies ? ", set_config('statement_timeout', ?, true), set_config('lock_timeout', ?, true)" : "";
        }

        /** Binds the items' parameters from {@code index}, if there are any; returns the statement. */
        PreparedStatement bind(PreparedStatement s, int index) throws SQLException {
            if (applies) {
                s.setString(index, timeout.toMillis() + "ms");
                s.setString(index + 1, lockTimeout.toMillis() + "ms");
            }
            return s;
        }
    }

    /**
     * Asks for the statement's results in binary format from its first execution, for long reads.
     * The driver otherwise switches to binary only once a connection has run the same SQL five
     * times, and decoding {@code bytea}, {@code uuid} and timestamps from text is most of a read's
     * client time: a catch-up read ran at about 1.7 times the events per second in binary. The cost
     * is one more round trip (to describe the statement) the first time a connection runs it.
     * Binary results need a server-side prepared statement, so a connection configured without
     * them ({@code prepareThreshold=0}, as behind a transaction-mode pooler) keeps text results.
     */
    static void preferBinaryResults(PreparedStatement s) throws SQLException {
        if (s.isWrapperFor(PGStatement.class) && s.getConnection().isWrapperFor(PGConnection.class)
                && s.getConnection().unwrap(PGConnection.class).getPrepareThreshold() > 0) {
            s.unwrap(PGStatement.class).setPrepareThreshold(-1);
        }
    }

    static OffsetDateTime timestamp(Instant instant) {
        return OffsetDateTime.ofInstant(instant, java.time.ZoneOffset.UTC);
    }

    /**
     * What a failure {@link #isUnavailable} means, for its message: the server gone or silent, or,
     * when the pool timed out waiting for a connection without any attempt to connect failing (no
     * cause; HikariCP's "Connection is not available"), every pooled connection held by this process.
     */
    static String unavailable(Throwable failure) {
        return isPoolExhausted(failure)
                ? "no pooled connection became free in time: every connection of the pool is in use (open iterators"
                        + " each hold one until they are drained or closed)"
                : "PostgreSQL is unavailable or did not answer in time";
    }

    /** Whether the pool gave up waiting for a connection while all of them were in use, not failing to connect. */
    static boolean isPoolExhausted(Throwable failure) {
        return failure instanceof SQLTransientConnectionException e && e.getCause() == null && e.getMessage() != null
                && e.getMessage().contains("Connection is not available, request timed out");
    }

    /** Whether the failure means the server or connection is gone or timed out. */
    static boolean isUnavailable(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLTransientConnectionException || t instanceof SQLNonTransientConnectionException
                    || t instanceof SQLRecoverableException || t instanceof SQLTimeoutException
                    || t instanceof java.io.IOException) {
                return true;
            }
            if (t instanceof SQLException s && s.getSQLState() != null
                    && (s.getSQLState().startsWith("08") || UNAVAILABLE_STATES.contains(s.getSQLState()))) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether a statement that was sent may have run to its end without its answer arriving: the
     * connection or the session was lost. An error answered by the server (a statement timeout, a
     * constraint) means the statement's transaction rolled back, and a failure before sending
     * means it never ran; neither is a lost answer.
     */
    static boolean isAnswerLost(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof SQLNonTransientConnectionException || t instanceof SQLRecoverableException
                    || t instanceof java.io.IOException) {
                return true;
            }
            if (t instanceof SQLException s && s.getSQLState() != null && (s.getSQLState().startsWith("08")
                    || s.getSQLState().equals("57P01") || s.getSQLState().equals("57P02"))) {
                return true;
            }
        }
        return false;
    }

    /** Whether the server cancelled the statement for running past {@code statement_timeout}. */
    static boolean isStatementTimeout(SQLException e) {
        return "57014".equals(e.getSQLState());
    }

    /** Whether the statement gave up waiting for a lock another transaction held ({@code lock_timeout}). */
    static boolean isLockTimeout(SQLException e) {
        return LOCK_NOT_AVAILABLE.equals(e.getSQLState());
    }

    /** Whether running the same work again in a new transaction may succeed. */
    static boolean isRetryable(SQLException e) {
        return e.getSQLState() != null && RETRYABLE_STATES.contains(e.getSQLState());
    }

    /** Whether the failure is a unique violation of the event UUID index (a concurrent append of the same IDs). */
    static boolean isEventIdCollision(SQLException e) {
        for (SQLException s = e; s != null; s = s.getNextException()) {
            if (UNIQUE_VIOLATION.equals(s.getSQLState()) && s instanceof org.postgresql.util.PSQLException p
                    && p.getServerErrorMessage() != null
                    && EVENT_UUID_CONSTRAINT.equals(p.getServerErrorMessage().getConstraint())) {
                return true;
            }
        }
        return false;
    }

    /** Whether PostgreSQL refused the statement for lack of a privilege, or because the transaction is read-only. */
    static boolean isRefused(SQLException e) {
        return INSUFFICIENT_PRIVILEGE.equals(e.getSQLState()) || READ_ONLY_TRANSACTION.equals(e.getSQLState());
    }

    /** Wraps a JDBC failure in the store's exception hierarchy. */
    static EventStoreException failure(String action, Throwable e) {
        return failure(action, e, null);
    }

    /**
     * Wraps a JDBC failure in the store's exception hierarchy; a refused statement ({@link
     * #isRefused}) becomes a {@link PermissionDeniedException} naming {@code role}, when known.
     */
    static EventStoreException failure(String action, Throwable e, String role) {
        if (e instanceof SQLException s && isRefused(s)) {
            String who = role == null ? "the store's role" : "role \"" + role + "\"";
            return new PermissionDeniedException(action + " was refused: " + (READ_ONLY_TRANSACTION.equals(s.getSQLState())
                    ? "the sessions of " + who + " are read-only" : who + " lacks a privilege it needs")
                    + " (" + e.getMessage() + ")", e);
        }
        if (e instanceof SQLException s && LOCK_NOT_AVAILABLE.equals(s.getSQLState())) {
            return new EventStoreException(action + " failed: another transaction held a lock it needed (an"
                    + " append's is its stream's row; a read's, its tables) for longer than the lock timeout; nothing"
                    + " of it was written (" + e.getMessage() + ")", e);
        }
        if (isUnavailable(e)) {
            return new StoreUnavailableException(action + ": " + unavailable(e) + " (" + e.getMessage() + ")", e);
        }
        return new EventStoreException(action + " failed: " + e.getMessage(), e);
    }
}
