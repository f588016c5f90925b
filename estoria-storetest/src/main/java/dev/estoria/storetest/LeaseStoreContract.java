package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.projection.Lease;
import dev.estoria.projection.LeaseStore;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link LeaseStore}: exclusive leases with increasing fencing tokens, renewal by the
 * holder only, release, expiry, and membership heartbeats.
 *
 * @param <S> the lease store under test
 */
public abstract class LeaseStoreContract<S extends LeaseStore> extends KitFixture<S> {

    private static final Duration LONG = Duration.ofMinutes(5);

    private static String newGroup() {
        return "storetest_" + UUID.randomUUID().toString().substring(0, 8);
    }

    @Test
    @DisplayName("a held lease excludes other owners; its holder may acquire it again")
    void exclusive() {
        String group = newGroup();
        Lease a = store.tryAcquire(group, 0, "a", LONG).orElseThrow();
        assertThat(a.owner()).isEqualTo("a");
        assertThat(store.tryAcquire(group, 0, "b", LONG)).isEmpty();
        assertThat(store.tryAcquire(group, 1, "b", LONG)).isPresent();
        Lease again = store.tryAcquire(group, 0, "a", LONG).orElseThrow();
        assertThat(again.token()).isGreaterThan(a.token());
        assertThat(store.leases(group)).extracting(Lease::partition).containsExactly(0, 1);
    }

    @Test
    @DisplayName("renewal works for the current holder only; release frees the partition with a higher token next")
    void renewAndRelease() {
        String group = newGroup();
        Lease first = store.tryAcquire(group, 3, "a", LONG).orElseThrow();
        Optional<Lease> renewed = store.renew(first, LONG);
        assertThat(renewed).isPresent();
        assertThat(renewed.get().token()).isEqualTo(first.token());
        store.release(first);
        assertThat(store.leases(group)).isEmpty();
        Lease second = store.tryAcquire(group, 3, "b", LONG).orElseThrow();
        assertThat(second.token()).isGreaterThan(first.token());
        assertThat(store.renew(first, LONG)).as("a stale holder cannot renew").isEmpty();
        store.release(first);
        assertThat(store.leases(group)).extracting(Lease::owner).containsExactly("b");
    }

    @Test
    @Timeout(30)
    @DisplayName("an expired lease can be taken by another owner and no longer renewed by its holder")
    void expiry() throws InterruptedException {
        String group = newGroup();
        Lease brief = store.tryAcquire(group, 0, "a", Duration.ofMillis(50)).orElseThrow();
        Optional<Lease> taken = Optional.empty();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (taken.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20); // waiting for wall-clock expiry is the point of this clause
            taken = store.tryAcquire(group, 0, "b", LONG);
        }
        assertThat(taken).isPresent();
        assertThat(store.renew(brief, LONG)).isEmpty();
    }

    @Test
    @Timeout(60)
    @DisplayName("16 owners racing for one partition: exactly one wins")
    void racingAcquire() throws Exception {
        String group = newGroup();
        int owners = 16;
        CyclicBarrier start = new CyclicBarrier(owners);
        ExecutorService pool = Executors.newFixedThreadPool(owners);
        try {
            List<Future<Optional<Lease>>> results = new ArrayList<>();
            for (int i = 0; i < owners; i++) {
                String owner = "w" + i;
                results.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    return store.tryAcquire(group, 0, owner, LONG);
                }));
            }
            int winners = 0;
            for (Future<Optional<Lease>> f : results) {
                if (f.get(30, TimeUnit.SECONDS).isPresent()) {
                    winners++;
                }
            }
            assertThat(winners).isEqualTo(1);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    @DisplayName("heartbeats list the live members of a group")
    void heartbeats() {
        String group = newGroup();
        assertThat(store.heartbeat(group, "a", LONG)).containsExactly("a");
        assertThat(store.heartbeat(group, "b", LONG)).containsExactlyInAnyOrder("a", "b");
        assertThat(store.heartbeat(newGroup(), "c", LONG)).containsExactly("c");
    }

    /** Waits (up to 10 s, by the store's own clock as leases() reports it) until no lease of the group is listed. */
    private void awaitNoLiveLease(String group) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!store.leases(group).isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
        }
    }

    @Test
    @Timeout(30)
    @DisplayName("LS-06 a lease taken over after expiry carries a greater token than the expired one")
    void takeoverAfterExpiryFences() throws InterruptedException {
        String group = newGroup();
        Lease brief = store.tryAcquire(group, 0, "a", Duration.ofMillis(50)).orElseThrow();
        Optional<Lease> taken = Optional.empty();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (taken.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(20);
            taken = store.tryAcquire(group, 0, "b", LONG);
        }
        assertThat(taken).isPresent();
        assertThat(taken.get().token()).as("fencing token of the new holder").isGreaterThan(brief.token());
    }

    @Test
    @Timeout(30)
    @DisplayName("LS-07 an expired lease cannot be renewed, even when nobody took it over")
    void expiredLeaseNotRenewed() throws InterruptedException {
        String group = newGroup();
        Lease brief = store.tryAcquire(group, 0, "a", Duration.ofMillis(50)).orElseThrow();
        Thread.sleep(100);
        awaitNoLiveLease(group);
        assertThat(store.renew(brief, LONG)).as("renewal of an expired lease").isEmpty();
    }

    @Test
    @Timeout(30)
    @DisplayName("LS-08 expired leases and expired members are no longer listed")
    void expiredNotListed() throws InterruptedException {
        String group = newGroup();
        store.tryAcquire(group, 0, "a", Duration.ofMillis(50)).orElseThrow();
        store.tryAcquire(group, 1, "a", LONG).orElseThrow();
        store.heartbeat(group, "a", Duration.ofMillis(50));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (System.nanoTime() < deadline && (store.leases(group).size() != 1
                || !store.heartbeat(group, "b", LONG).equals(Set.of("b")))) {
            Thread.sleep(20);
        }
        assertThat(store.leases(group)).extracting(Lease::partition).containsExactly(1);
        assertThat(store.heartbeat(group, "b", LONG)).containsExactly("b");
    }

    @Test
    @DisplayName("LS-09 a member that leaves is no longer listed, at once; leaving twice or unknown is harmless")
    void leftMemberNotListed() {
        String group = newGroup();
        store.heartbeat(group, "a", LONG);
        assertThat(store.heartbeat(group, "b", LONG)).containsExactlyInAnyOrder("a", "b");
        store.leave(group, "a");
        store.leave(group, "a");
        store.leave(group, "nobody");
        assertThat(store.heartbeat(group, "b", LONG)).containsExactly("b");
    }
}
