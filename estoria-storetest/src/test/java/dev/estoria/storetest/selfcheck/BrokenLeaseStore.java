package dev.estoria.storetest.selfcheck;

import dev.estoria.projection.Lease;
import dev.estoria.projection.LeaseStore;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * A copy of InMemoryLeaseStore with one deliberate fault, chosen by {@link Fault}. Each fault is a
 * mistake a SQL lease table gets easily: an UPDATE that takes over an expired row without bumping
 * its token, a renewal WHERE clause without the expiry condition, and listing queries without the
 * "expires_at > now" filter.
 */
final class BrokenLeaseStore implements LeaseStore {

    enum Fault {
        /** Taking over an expired lease keeps the old holder's token (no fencing). */
        TAKEOVER_KEEPS_TOKEN,
        /** renew() extends a lease that has expired, if nobody took it meanwhile. */
        RENEWS_EXPIRED,
        /** leases() and heartbeat() still list expired leases and members. */
        LISTS_EXPIRED
    }

    private record Key(String group, int partition) {
    }

    private final Fault fault;
    private final Map<Key, Lease> leases = new HashMap<>();
    private final Map<Key, Long> tokens = new HashMap<>();
    private final Map<String, Map<String, Instant>> members = new HashMap<>();
    private final Clock clock = Clock.systemUTC();

    BrokenLeaseStore(Fault fault) {
        this.fault = fault;
    }

    @Override
    public synchronized Optional<Lease> tryAcquire(String group, int partition, String owner, Duration ttl) {
        Key key = new Key(group, partition);
        Instant now = clock.instant();
        Lease current = leases.get(key);
        if (current != null && current.expiresAt().isAfter(now) && !current.owner().equals(owner)) {
            return Optional.empty();
        }
        long token;
        if (fault == Fault.TAKEOVER_KEEPS_TOKEN && current != null && !current.expiresAt().isAfter(now)) {
            token = current.token(); // BUG: the new holder gets the expired holder's token
        } else {
            token = tokens.merge(key, 1L, Long::sum);
        }
        Lease lease = new Lease(group, partition, owner, token, now.plus(ttl));
        leases.put(key, lease);
        return Optional.of(lease);
    }

    @Override
    public synchronized Optional<Lease> renew(Lease lease, Duration ttl) {
        Key key = new Key(lease.group(), lease.partition());
        Lease current = leases.get(key);
        Instant now = clock.instant();
        boolean expired = current != null && !current.expiresAt().isAfter(now);
        if (current == null || current.token() != lease.token() || !current.owner().equals(lease.owner())
                || (expired && fault != Fault.RENEWS_EXPIRED)) {
            return Optional.empty();
        }
        Lease renewed = new Lease(lease.group(), lease.partition(), lease.owner(), lease.token(), now.plus(ttl));
        leases.put(key, renewed);
        return Optional.of(renewed);
    }

    @Override
    public synchronized void release(Lease lease) {
        Key key = new Key(lease.group(), lease.partition());
        Lease current = leases.get(key);
        if (current != null && current.token() == lease.token()) {
            leases.remove(key);
        }
    }

    @Override
    public synchronized List<Lease> leases(String group) {
        Instant now = clock.instant();
        List<Lease> live = new ArrayList<>();
        for (Lease lease : leases.values()) {
            if (lease.group().equals(group) && (fault == Fault.LISTS_EXPIRED || lease.expiresAt().isAfter(now))) {
                live.add(lease);
            }
        }
        live.sort(Comparator.comparingInt(Lease::partition));
        return live;
    }

    @Override
    public synchronized Set<String> heartbeat(String group, String owner, Duration ttl) {
        Instant now = clock.instant();
        Map<String, Instant> groupMembers = members.computeIfAbsent(group, g -> new HashMap<>());
        groupMembers.put(owner, now.plus(ttl));
        if (fault != Fault.LISTS_EXPIRED) {
            groupMembers.values().removeIf(expiry -> !expiry.isAfter(now));
        }
        return Set.copyOf(groupMembers.keySet());
    }
}
