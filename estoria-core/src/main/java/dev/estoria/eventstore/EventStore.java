package dev.estoria.eventstore;

/**
 * Reads and appends event streams: the whole contract an event store must meet.
 *
 * <p>Optional capabilities are separate interfaces that a store may also implement, found with
 * {@code instanceof}: {@link GlobalReader} (all events in one global order) and {@link
 * StreamDeleter} (deletion and truncation). Decorators keep the capabilities of the store they
 * wrap.
 *
 * <p>Implementations are thread-safe. The acceptance kit ({@code estoria-storetest}) certifies an
 * implementation against every clause of this contract.
 */
public interface EventStore extends StreamReader, StreamWriter {
}
