package dev.estoria.eventstore;

/**
 * A store failure that may pass by itself: the backend could not be reached, was restarting, or did
 * not answer in time. The same call made again later may succeed, with no change on the caller's
 * side; a store that reports other failures this way is wrong.
 *
 * <p>As for any {@link EventStoreException}, whether an append that failed this way was written is
 * unknown unless the message says otherwise; retrying it with the same caller-chosen event IDs is
 * safe. Long-running consumers (the projection processor, the runners) retry reads and checkpoint
 * saves that fail this way, with growing pauses, instead of stopping.
 */
public class TransientStoreException extends EventStoreException {

    public TransientStoreException(String message) {
        super(message);
    }

    public TransientStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
