package dev.estoria.projection;

import java.util.List;
import java.util.Optional;

/**
 * Keeps projection checkpoints, keyed by the full projection ID (name and version).
 *
 * <p>Saving is last-write-wins (a lower position overwrites a higher one: a rebuild rewinds) and
 * always refreshes {@code updatedAt}, even at an unchanged position. Implementations are
 * thread-safe. A {@link #save} returns once the checkpoint is durable in the store's terms.
 */
public interface CheckpointStore {

    /** The checkpoint of {@code id}, or empty if it was never saved (or was deleted). */
    Optional<Checkpoint> load(ProjectionId id);

    /**
     * Saves {@code position} as the checkpoint of {@code id}.
     *
     * @throws IllegalArgumentException if {@code position} is negative
     */
    void save(ProjectionId id, long position);

    /** Deletes the checkpoint of {@code id}; returns whether there was one. */
    boolean delete(ProjectionId id);

    /** Every checkpoint, ordered by projection name, then version. */
    List<Checkpoint> list();
}
