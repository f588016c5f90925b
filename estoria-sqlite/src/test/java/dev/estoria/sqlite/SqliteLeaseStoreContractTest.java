package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.projection.Lease;
import dev.estoria.storetest.LeaseStoreContract;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The acceptance kit's {@link LeaseStoreContract}, each test on a fresh file; plus bad input and reopening. */
class SqliteLeaseStoreContractTest extends LeaseStoreContract<SqliteLeaseStore> {

    @TempDir
    Path directory;

    private SqliteEventStore events;

    @Override
    protected SqliteLeaseStore createStore() {
        events = SqliteEventStore.open(directory.resolve("events.db"));
        return SqliteLeaseStore.of(events);
    }

    @AfterEach
    void closeEvents() {
        events.close();
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

    @Test
    @DisplayName("leases and their tokens outlive the store: a reopened file continues above the last token")
    void tokensSurviveReopening() {
        Lease first = store.tryAcquire("g_v1", 2, "a", Duration.ofMinutes(1)).orElseThrow();
        store.release(first);
        events.close();
        events = SqliteEventStore.open(directory.resolve("events.db"));
        SqliteLeaseStore reopened = SqliteLeaseStore.of(events);
        assertThat(reopened.tryAcquire("g_v1", 2, "b", Duration.ofMinutes(1)).orElseThrow().token())
                .isGreaterThan(first.token());
    }
}
