package dev.estoria.projection;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/** A lease store that hands every call to another; tests override the calls they watch or hold up. */
class ForwardingLeaseStore implements LeaseStore {

    final LeaseStore inner;

    ForwardingLeaseStore(LeaseStore inner) {
        this.inner = inner;
    }

    @Override
    public Optional<Lease> tryAcquire(String group, int partition, String owner, Duration ttl) {
        return inner.tryAcquire(group, partition, owner, ttl);
    }

    @Override
    public Optional<Lease> renew(Lease lease, Duration ttl) {
        return inner.renew(lease, ttl);
    }

    @Override
    public void release(Lease lease) {
        inner.release(lease);
    }

    @Override
    public List<Lease> leases(String group) {
        return inner.leases(group);
    }

    @Override
    public Set<String> heartbeat(String group, String owner, Duration ttl) {
        return inner.heartbeat(group, owner, ttl);
    }

    @Override
    public void leave(String group, String owner) {
        inner.leave(group, owner);
    }
}
