package dev.estoria.projection;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/** Leases held in memory, for tests and for workers that share one process. Thread-safe. */
public final class InMemoryLeaseStore implements LeaseStore {

    private record Key(String group, int partition) {
    }

    private final Map<Key, Lease> leases = new HashMap<>();
    private final Map<Key, Long> tokens = new HashMap<>();
    private final Map<String, Map<String, Instant>> members = new HashMap<>();
    private final Clock clock;

    private InMemoryLeaseStore(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** An empty store on the system clock. */
    public static InMemoryLeaseStore create() {
        return new InMemoryLeaseStore(Clock.systemUTC());
    }

    /** An empty store on the given clock. */
    public static InMemoryLeaseStore withClock(Clock clock) {
        return new InMemoryLeaseStore(clock);
    }

    @Override
    public synchronized Optional<Lease> tryAcquire(String group, int partition, String owner, Duration ttl) {
        Key key = new Key(group, partition);
        Instant now = clock.instant();
        Lease current = leases.get(key);
        if (current != null && current.expiresAt().isAfter(now) && !current.owner().equals(owner)) {
            return Optional.empty();
        }
        long token = tokens.merge(key, 1L, Long::sum);
        Lease lease = new Lease(group, partition, owner, token, now.plus(ttl));
        leases.put(key, lease);
        return Optional.of(lease);
    }

    @Override
    public synchronized Optional<Lease> renew(Lease lease, Duration ttl) {
        Key key = new Key(lease.group(), lease.partition());
        Lease current = leases.get(key);
        Instant now = clock.instant();
        if (current == null || current.token() != lease.token() || !current.expiresAt().isAfter(now)) {
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
            if (lease.group().equals(group) && lease.expiresAt().isAfter(now)) {
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
        groupMembers.values().removeIf(expiry -> !expiry.isAfter(now));
        return Set.copyOf(groupMembers.keySet());
    }

    @Override
    public synchronized void leave(String group, String owner) {
        Map<String, Instant> groupMembers = members.get(group);
        if (groupMembers != null) {
            groupMembers.remove(owner);
        }
    }
}
