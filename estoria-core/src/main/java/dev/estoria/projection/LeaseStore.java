package dev.estoria.projection;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Leases on projection partitions, kept where the workers can all see them (the same database as the
 * events, for the durable stores), so that two workers never process one partition at once.
 *
 * <p>All operations are atomic in the store. Expiry is judged by the store's clock. A worker must
 * renew well before expiry and stop working a partition as soon as a renewal fails; with a lease
 * time longer than the longest pause a worker can suffer (GC, a slow batch), no two workers process
 * a partition at once.
 */
public interface LeaseStore {

    /**
     * Acquires {@code partition} for {@code owner} if it is free, expired, or already {@code owner}'s.
     *
     * @return the new lease, with a token greater than any earlier one for the partition; empty if
     *     another owner holds it
     */
    Optional<Lease> tryAcquire(String group, int partition, String owner, Duration ttl);

    /**
     * Extends a lease its owner still holds (same owner and token, not expired).
     *
     * @return the extended lease, or empty if it was lost
     */
    Optional<Lease> renew(Lease lease, Duration ttl);

    /** Gives a lease up at once, if its owner still holds it. */
    void release(Lease lease);

    /** The unexpired leases of a group, ordered by partition. */
    List<Lease> leases(String group);

    /**
     * Records that {@code owner} is alive in {@code group} until {@code ttl} from now, and returns
     * every member still alive, itself included. Workers call it on every round, so a new worker is
     * counted (and gets its share) before it holds any lease.
     */
    Set<String> heartbeat(String group, String owner, Duration ttl);

    /**
     * Forgets {@code owner}'s heartbeat in {@code group} at once, so the other members stop counting
     * it in their shares. Called by a worker that closes. The default does nothing: the heartbeat
     * then lapses at its expiry.
     */
    default void leave(String group, String owner) {
    }
}
