package dev.estoria.eventstore;

import dev.estoria.EstoriaException;

/**
 * A store's backend failed: I/O, a lost connection, a timeout, a corrupt file, a refused schema.
 *
 * <p>Store implementations wrap their own failures (such as {@code SQLException}) in this type or a
 * subclass, with the original as the cause. Whether an append that failed this way was written is
 * unknown; retrying it with the same caller-chosen event IDs is safe (see {@link
 * StreamWriter#appendStream}).
 */
public class EventStoreException extends EstoriaException {

    public EventStoreException(String message) {
        super(message);
    }

    public EventStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
