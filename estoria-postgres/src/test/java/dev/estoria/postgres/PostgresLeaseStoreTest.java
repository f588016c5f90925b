package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.projection.Lease;
import dev.estoria.storetest.LeaseStoreContract;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The kit's LeaseStoreContract against PostgreSQL, plus expiry judged by the server's clock. */
class PostgresLeaseStoreTest extends LeaseStoreContract<PostgresLeaseStore> {

    private PostgresEventStore events;

    @Override
    protected PostgresLeaseStore createStore() {
        events = TestDatabase.get().newStore();
        return PostgresLeaseStore.of(events);
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(events);
    }

    @Test
    @DisplayName("expiry follows the server's clock: a lease the server sees as expired is free, whatever the worker's clock says")
    void expiryByServerClock() throws Exception {
        Lease held = store.tryAcquire("server_clock_v1", 0, "a", Duration.ofHours(1)).orElseThrow();
        assertThat(store.tryAcquire("server_clock_v1", 0, "b", Duration.ofHours(1))).isEmpty();
        // As if the server's clock had moved past the expiry (the lease's Instant is still an hour ahead here).
        try (Connection c = TestDatabase.get().connect(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE \"" + events.options().schema() + "\".leases SET expires_at = clock_timestamp()"
                    + " - interval '1 millisecond'");
        }
        assertThat(store.leases("server_clock_v1")).isEmpty();
        assertThat(store.renew(held, Duration.ofHours(1))).isEmpty();
        Lease taken = store.tryAcquire("server_clock_v1", 0, "b", Duration.ofHours(1)).orElseThrow();
        assertThat(taken.token()).isGreaterThan(held.token());
    }

    @Test
    @DisplayName("bad input is refused and writes nothing")
    void badInput() {
        assertThatThrownBy(() -> store.tryAcquire("g_v1", -1, "a", Duration.ofSeconds(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("partition");
        assertThatThrownBy(() -> store.tryAcquire("g_v1", 0, "a", Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        assertThatThrownBy(() -> store.heartbeat("g_v1", "a", Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl");
        // Past what a stored expiry time holds: refused as such, not with an arithmetic overflow.
        assertThatThrownBy(() -> store.tryAcquire("g_v1", 0, "a", Duration.ofDays(365L * 300)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("ttl must be at most");
        assertThatThrownBy(() -> store.tryAcquire(null, 0, "a", Duration.ofSeconds(1)))
                .isInstanceOf(NullPointerException.class);
        assertThat(store.leases("g_v1")).isEmpty();
        assertThat(store.heartbeat("g_v1", "b", Duration.ofSeconds(10))).containsExactly("b");
    }
}
