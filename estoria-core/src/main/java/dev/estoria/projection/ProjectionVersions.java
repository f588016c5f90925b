package dev.estoria.projection;

import java.util.OptionalInt;

/**
 * Records which version of each projection serves reads, so a rebuild can switch readers from
 * {@code orders_v1} to {@code orders_v2} in one step once the new version has caught up.
 *
 * <p>Readers ask {@link #active(String)} to pick the read model to query (for example the table
 * {@code orders_v2}); {@link ProjectionRebuild} calls {@link #activate(ProjectionId)} when it
 * promotes a version. Implementations are thread-safe and durable in their store's terms.
 */
public interface ProjectionVersions {

    /** The active version of the named projection, or empty if none was activated. */
    OptionalInt active(String name);

    /**
     * Makes {@code id} the active version of its projection. Activating the version that is already
     * active does nothing.
     */
    void activate(ProjectionId id);
}
