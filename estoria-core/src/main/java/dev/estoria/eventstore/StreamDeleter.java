package dev.estoria.eventstore;

import dev.estoria.typeid.TypeId;

/**
 * Deletes or truncates streams. An optional capability of an {@link EventStore}, found with {@code
 * instanceof}.
 */
public interface StreamDeleter {

    /**
     * Deletes a stream, or truncates it.
     *
     * <ul>
     *   <li>{@link DeleteStreamOptions#wholeStream()} removes the stream and its events (from global
     *       reads too). The ID may be reused; the next append starts again at version 1.
     *   <li>{@link DeleteStreamOptions#truncateTo(long) truncateTo(n)} removes the events at
     *       versions 1 through {@code n}. Later events keep their versions and global positions,
     *       and appends continue from the existing tip, even when truncation emptied the stream. A
     *       bound at or past the tip empties the stream without deleting it.
     * </ul>
     *
     * <p>Global positions of removed events are never handed out again.
     *
     * @throws StreamNotFoundException if the stream was never written or was already deleted
     * @throws EventStoreException if the backend fails
     * @throws NullPointerException if an argument is null
     */
    void deleteStream(TypeId streamId, DeleteStreamOptions options);

    /** Deletes the whole stream. */
    default void deleteStream(TypeId streamId) {
        deleteStream(streamId, DeleteStreamOptions.wholeStream());
    }
}
