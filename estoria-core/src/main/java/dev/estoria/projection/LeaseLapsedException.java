package dev.estoria.projection;

/**
 * Thrown by a partition's fenced handler when its worker can no longer be sure it holds the
 * partition's lease. Not a failure of the event: a {@link ProjectionProcessor} always stops on it,
 * even with {@code continueOnError}, since skipping the event would let a later checkpoint pass
 * over an event nobody handled. Nor does its worker give the partition up for a while, as after a
 * handler failure: it takes the partition up again from its checkpoint at its next round.
 */
final class LeaseLapsedException extends IllegalStateException {

    LeaseLapsedException(String message) {
        super(message);
    }
}
