package dev.estoria.sqlite;

import dev.estoria.eventstore.Event;
import java.sql.Connection;

/**
 * Handles one event of a {@link SqliteProjectionRunner} inside the transaction that also commits
 * the projection's checkpoint: whatever it writes through {@code transaction} commits together
 * with the checkpoint past this event, or not at all.
 *
 * <p>The connection is lent under the rules of {@link SqlWork}: use it only during the call, do
 * not end the transaction, write only the application's own tables, and do not call the store's
 * writes: they would wait for this very transaction, so they fail at once (a process manager that
 * appends events runs under a {@link dev.estoria.projection.ProjectionProcessor}, whose handlers
 * run outside the store's write transaction). Each call runs in its own savepoint, so an exception
 * undoes exactly what this call wrote. Because handler and checkpoint commit atomically, each event
 * changes the read model exactly once, even across crashes: the handler needs no idempotency of its
 * own.
 */
@FunctionalInterface
public interface SqliteEventHandler {

    /**
     * Applies {@code event} to the read model through {@code transaction}. An exception undoes this
     * call's writes and stops the runner, or is recorded and skipped, as configured.
     */
    void handle(Connection transaction, Event event) throws Exception;
}
