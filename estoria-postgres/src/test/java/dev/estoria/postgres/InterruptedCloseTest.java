package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * close() must release every thread and connection of the store even when the closing thread is
 * interrupted (a worker being shut down that closes the store in a finally block, or an append
 * listener, whose thread close() itself interrupts). Before the fix the pending interrupt cut the
 * waits inside close() short: HikariCP's shutdown stopped half-way and left its housekeeper thread
 * running for good, and the notification sender's connection could stay open.
 */
@Timeout(120)
class InterruptedCloseTest {

    private static final Duration WAIT = Duration.ofSeconds(15);
    private final TestDatabase db = TestDatabase.get();

    @Test
    void aStoreClosedByAnInterruptedThreadLeavesNoThreadOrConnectionBehind() throws Exception {
        PostgresEventStore store = db.newOwnedStore(PostgresOptions.defaults());
        String schema = store.options().schema();
        try {
            use(store);
            Thread.currentThread().interrupt();
            store.close();
            assertThat(Thread.interrupted()).as("the caller's interrupt status is kept").isTrue();
            assertReleased(schema);
        } finally {
            Thread.interrupted();
            db.dropSchema(schema);
        }
    }

    @Test
    void aStoreClosedFromItsAppendListenerLeavesNoThreadOrConnectionBehind() throws Exception {
        PostgresEventStore store = db.newOwnedStore(PostgresOptions.defaults());
        String schema = store.options().schema();
        CompletableFuture<Void> closed = new CompletableFuture<>();
        try {
            use(store);
            // The listener runs on the store's notifier thread, which close() shuts down with an interrupt.
            store.onAppend(() -> {
                if (!closed.isDone()) {
                    try {
                        store.close();
                        closed.complete(null);
                    } catch (Throwable e) {
                        closed.completeExceptionally(e);
                    }
                }
            });
            store.appendStream(TypeId.newV4("account"), List.of(WritableEvent.of("closing", new byte[] {2})));
            closed.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
            assertReleased(schema);
        } finally {
            db.dropSchema(schema);
        }
    }

    /** Appends, reads and listens, so the pool, the writer lanes and both notification connections are in use. */
    private static void use(PostgresEventStore store) throws Exception {
        AutoCloseable registration = store.onAppend(() -> { });
        store.appendStream(TypeId.newV4("account"), List.of(WritableEvent.of("opened", new byte[] {1})));
        try (StreamIterator events = store.readAll()) {
            events.toList(); // may be empty while another session of the shared server holds the feed back
        }
        registration.close();
    }

    private void assertReleased(String schema) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        List<String> threads;
        List<String> sessions;
        while (true) {
            threads = threadsOf(schema);
            sessions = sessionsOf(schema);
            if (threads.isEmpty() && sessions.isEmpty() || System.nanoTime() - deadline > 0) {
                break;
            }
            Thread.sleep(20);
        }
        assertThat(threads).as("threads of the closed store").isEmpty();
        assertThat(sessions).as("server sessions of the closed store").isEmpty();
    }

    private static List<String> threadsOf(String schema) {
        List<String> names = new ArrayList<>();
        for (Thread t : Thread.getAllStackTraces().keySet()) {
            if (t.isAlive() && t.getName().contains(schema)) {
                names.add(t.getName());
            }
        }
        return names;
    }

    private List<String> sessionsOf(String schema) throws SQLException {
        List<String> sessions = new ArrayList<>();
        try (Connection c = db.dataSource().getConnection();
                PreparedStatement s = c.prepareStatement("SELECT application_name || ' ' || state FROM pg_stat_activity"
                        + " WHERE application_name LIKE ?")) {
            s.setString(1, "estoria:" + schema + "%");
            try (ResultSet rows = s.executeQuery()) {
                while (rows.next()) {
                    sessions.add(rows.getString(1));
                }
            }
        }
        return sessions;
    }
}
