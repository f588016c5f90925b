package dev.estoria.sqlite;

import java.sql.Connection;
import java.sql.SQLException;

/**
 * Work on a transaction of a {@link SqliteEventStore}'s file, given to {@link
 * SqliteEventStore#inWriteTransaction} or {@link SqliteEventStore#inReadTransaction}.
 *
 * <p>The connection is lent for the duration of {@link #run} only: the store begins and ends the
 * transaction and owns the connection, so closing it, committing or rolling it back through JDBC,
 * or changing its auto-commit mode is refused, and any use after {@code run} returns fails.
 * Statements the work leaves open are closed when it returns. Do not run {@code COMMIT}, {@code
 * END}, {@code ROLLBACK} or {@code PRAGMA} statements that change the connection's settings;
 * nested {@code SAVEPOINT}s are fine.
 *
 * <p>Work in a write transaction must not call the store's own writes (appends, deletions,
 * snapshot or checkpoint saves): they wait for the write transaction, which is the work's own, so
 * they fail at once with an {@link IllegalStateException} and write nothing. Reads through the
 * store are fine, but see only what was committed before the work began.
 *
 * @param <T> what the work returns
 */
@FunctionalInterface
public interface SqlWork<T> {

    /** Does the work on {@code connection}, inside the transaction. */
    T run(Connection connection) throws SQLException;
}
