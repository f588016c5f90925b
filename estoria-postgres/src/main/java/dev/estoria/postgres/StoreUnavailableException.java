package dev.estoria.postgres;

import dev.estoria.eventstore.TransientStoreException;

/**
 * PostgreSQL could not be reached or did not answer in time: a lost or refused connection, a
 * terminated backend, a server shutdown, an exhausted pool or a timeout.
 *
 * <p>The condition is usually transient (a {@link TransientStoreException}): the store replaces
 * broken connections by itself, so a later call may succeed. Whether an append that failed this way
 * was written is unknown unless the message says otherwise; retrying it with the same caller-chosen
 * event IDs is safe.
 */
public class StoreUnavailableException extends TransientStoreException {

    public StoreUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }

    public StoreUnavailableException(String message) {
        super(message);
    }
}
