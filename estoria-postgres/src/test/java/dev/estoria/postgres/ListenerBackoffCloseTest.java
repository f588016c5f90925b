package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.SQLFeatureNotSupportedException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Logger;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The thread that listens for other processes' appends reconnects with a backoff of up to 5 s.
 * close() waits 2 s for it; before the fix a listener sleeping out its backoff outlived close() by
 * up to 3 s. It must end with close().
 */
@Timeout(90)
class ListenerBackoffCloseTest {

    private static final Duration WAIT = Duration.ofSeconds(30);

    /** The test pool, refusing every connection the listener thread asks for. */
    private static final class RefusingListener implements DataSource {
        final DataSource inner = TestDatabase.get().dataSource();
        final AtomicInteger refused = new AtomicInteger();

        @Override
        public Connection getConnection() throws SQLException {
            if (Thread.currentThread().getName().startsWith("estoria-notify-listener-")) {
                refused.incrementAndGet();
                throw new SQLException("refused for the test");
            }
            return inner.getConnection();
        }

        @Override
        public Connection getConnection(String user, String password) throws SQLException {
            return getConnection();
        }

        @Override
        public PrintWriter getLogWriter() {
            return null;
        }

        @Override
        public void setLogWriter(PrintWriter out) {
        }

        @Override
        public void setLoginTimeout(int seconds) {
        }

        @Override
        public int getLoginTimeout() {
            return 0;
        }

        @Override
        public Logger getParentLogger() throws SQLFeatureNotSupportedException {
            throw new SQLFeatureNotSupportedException();
        }

        @Override
        public <T> T unwrap(Class<T> type) throws SQLException {
            throw new SQLException("not a wrapper");
        }

        @Override
        public boolean isWrapperFor(Class<?> type) {
            return false;
        }
    }

    @Test
    void closeEndsAListenerWaitingToReconnect() throws Exception {
        RefusingListener source = new RefusingListener();
        PostgresEventStore store = PostgresEventStore.open(source, PostgresOptions.defaults()
                .withSchema(TestDatabase.randomSchema()).withFeedCheckInterval(Duration.ZERO)
                .withConnectionTimeout(Duration.ofMillis(250)));
        String schema = store.options().schema();
        try {
            store.onAppend(() -> { }); // starts the listener, which keeps failing to connect
            // Backoffs 0, 50, 100, ... ms: the 8th refusal is followed by a 3.2 s wait, the 9th by 5 s.
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (source.refused.get() < 8) {
                assertThat(System.nanoTime() - deadline).as("the listener retried in time").isNegative();
                Thread.sleep(10);
            }
            store.close();
            assertThat(Thread.getAllStackTraces().keySet()).filteredOn(Thread::isAlive)
                    .extracting(Thread::getName).noneMatch(name -> name.equals("estoria-notify-listener-" + schema));
        } finally {
            store.close();
            TestDatabase.get().dropSchema(schema);
        }
    }
}
