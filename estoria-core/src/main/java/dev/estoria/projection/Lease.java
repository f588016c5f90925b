package dev.estoria.projection;

import java.time.Instant;
import java.util.Objects;

/**
 * The right of one worker to process one partition of a projection until {@code expiresAt}.
 *
 * @param group the partitioned projection, as {@code name_vN}
 * @param partition the partition, 0-based
 * @param owner the worker holding it
 * @param token a fencing token: strictly greater for every new acquisition of the partition, so a
 *     stale holder can be told apart from the current one
 * @param expiresAt when the lease lapses unless renewed
 */
public record Lease(String group, int partition, String owner, long token, Instant expiresAt) {

    public Lease {
        Objects.requireNonNull(group, "group");
        Objects.requireNonNull(owner, "owner");
        Objects.requireNonNull(expiresAt, "expiresAt");
    }
}
