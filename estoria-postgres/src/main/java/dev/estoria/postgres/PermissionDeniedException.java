package dev.estoria.postgres;

import dev.estoria.eventstore.EventStoreException;

/**
 * The store's database role, or its read-only session, does not allow what was asked: a write to a
 * store opened read-only (see {@link PostgresEventStore#readOnly()}), a statement PostgreSQL refused
 * for lack of a privilege (or because the session is read-only), or a step of opening the role may
 * not take: creating a missing schema or store, or, for a role that may write events, the
 * position-base check that locks and may update the {@code meta} row, or, for a store that may not
 * write, raising a position base that a restore left low. Nothing was written. Grant
 * the privilege the message names (and, for a store opened read-only, open it again), or use a
 * role that holds it.
 */
public class PermissionDeniedException extends EventStoreException {

    public PermissionDeniedException(String message) {
        super(message);
    }

    public PermissionDeniedException(String message, Throwable cause) {
        super(message, cause);
    }
}
