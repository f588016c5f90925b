package dev.estoria.eventstore;

/**
 * Tells listeners in this process that events were appended, so subscribers wake at once instead of
 * polling. An optional capability of an {@link EventStore}, found with {@code instanceof}.
 *
 * <p>A listener runs after the appended events are visible to {@link GlobalReader#readAll}, on the
 * appending thread or a store thread; it must return quickly and never call back into the store
 * synchronously. A listener that throws is logged and ignored: the append still succeeds and the other
 * listeners still run. A store that can be closed calls its listeners once more when it closes, so
 * that waiting subscribers read again and learn of the close at once. Notifications are a hint, not
 * a delivery: a listener may be called for appends it does not care about, and a store may coalesce
 * several appends into one call. Stores that learn of
 * other processes' appends (PostgreSQL's {@code LISTEN/NOTIFY}) call listeners for those too, but
 * such signals can be lost, so subscribers keep a slow poll as a safety net.
 */
public interface AppendNotifier {

    /**
     * Registers a listener.
     *
     * @return a handle whose {@code close()} unregisters the listener
     */
    AutoCloseable onAppend(Runnable listener);
}
