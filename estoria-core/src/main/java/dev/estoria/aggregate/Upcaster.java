package dev.estoria.aggregate;

/**
 * Turns an old shape of a stored event into the current one as it is read, so old streams keep
 * loading after an event's schema changed. Stored events are never rewritten.
 *
 * <p>An upcaster is registered for one stored type and may return another type; the result is
 * upcast again if an upcaster is registered for its type (up to a fixed number of steps, which
 * catches cycles).
 */
@FunctionalInterface
public interface Upcaster {

    /** Returns the current shape of {@code event}. */
    RawEvent upcast(RawEvent event);
}
