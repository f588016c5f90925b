package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A read that fails on a stored row gives its connection back: the pool does not run dry. */
@Timeout(60)
class ReadFailureTest {

    private final TestDatabase db = TestDatabase.get();
    private PostgresEventStore store;

    @AfterEach
    void drop() {
        db.discard(store);
    }

    @Test
    void aRowThatDoesNotDecodeFailsTheReadAndReleasesTheConnection() throws Exception {
        store = db.newOwnedStore(PostgresOptions.defaults().withPoolSize(2));
        TypeId damaged = TypeId.newV4("damaged");
        store.appendStream(damaged, List.of(WritableEvent.of("e", new byte[] {1})));
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("UPDATE \""
                + store.options().schema() + "\".events SET metadata = '\\xff'::bytea WHERE stream_uuid = ?")) {
            s.setObject(1, damaged.uuid());
            assertThat(s.executeUpdate()).isEqualTo(1);
        }
        for (int i = 0; i < 5; i++) {
            assertThatThrownBy(() -> store.readStream(damaged, ReadStreamOptions.defaults())).isInstanceOf(RuntimeException.class);
        }
        // Two pooled connections: had each failed read kept one, this would wait for the pool and time out.
        TypeId healthy = TypeId.newV4("healthy");
        store.appendStream(healthy, List.of(WritableEvent.of("e", new byte[] {2})));
        assertThat(store.readStream(healthy, ReadStreamOptions.defaults()).toList()).hasSize(1);
    }

    @Test
    void aReadAllInterruptedWhileTheFeedSettlesReleasesTheConnection() throws Exception {
        store = db.newOwnedStore(PostgresOptions.defaults().withPoolSize(2)
                .withConnectionTimeout(java.time.Duration.ofSeconds(2))
                .withReadSettleTimeout(java.time.Duration.ofSeconds(60)));
        try (Connection holder = db.rawConnection()) {
            // An older transaction holding an ID keeps this store's own append above the watermark,
            // so a global read waits for the feed to settle, and an interrupt ends that wait.
            holder.setAutoCommit(false);
            holder.createStatement().executeQuery("SELECT pg_current_xact_id()").close();
            store.appendStream(TypeId.newV4("held"), List.of(WritableEvent.of("e", new byte[] {1})));
            for (int i = 0; i < 3; i++) {
                java.util.concurrent.atomic.AtomicReference<Throwable> failure = new java.util.concurrent.atomic.AtomicReference<>();
                Thread reader = new Thread(() -> {
                    try {
                        store.readAll(dev.estoria.eventstore.ReadAllOptions.defaults()).close();
                    } catch (Throwable t) {
                        failure.set(t);
                    }
                });
                reader.start();
                // The read pauses between its looks at the feed; interrupt it in such a pause.
                long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(30);
                while (reader.getState() != Thread.State.TIMED_WAITING) {
                    assertThat(System.nanoTime()).as("reader waiting for the feed").isLessThan(deadline);
                    Thread.onSpinWait();
                }
                reader.interrupt();
                reader.join();
                assertThat(failure.get()).hasMessageContaining("interrupted while waiting for the global feed");
            }
            holder.rollback();
        }
        // Two pooled connections: had each interrupted read kept one, this would time out on the pool.
        assertThat(store.readAll(dev.estoria.eventstore.ReadAllOptions.defaults()).toList()).hasSize(1);
    }
}
