package dev.estoria.projection;

import java.time.Instant;
import java.util.Objects;

/**
 * Where a projection stands: the global position of the last event it handled. Resume with {@code
 * ReadAllOptions.after(position)}. A checkpoint records a location, not state.
 *
 * @param projectionId the projection
 * @param position the global position of the last handled event; 0 before the first
 * @param updatedAt when the checkpoint was last saved (assigned by the store, refreshed on every
 *     save, so it doubles as a liveness heartbeat)
 */
public record Checkpoint(ProjectionId projectionId, long position, Instant updatedAt) {

    public Checkpoint {
        Objects.requireNonNull(projectionId, "projectionId");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (position < 0) {
            throw new IllegalArgumentException("position must not be negative, was " + position);
        }
    }
}
