package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Proxy;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * A hot standby refuses LISTEN (SQLSTATE 25006, "cannot execute LISTEN during recovery"): the store
 * says so once, without a warning, and a subscriber does not wait for a LISTEN that cannot come.
 */
class StandbyListenTest {

    /** A connection whose statements fail as a standby's do for LISTEN and UNLISTEN. */
    private static Connection standbyConnection(AtomicInteger listens) {
        Statement statement = (Statement) Proxy.newProxyInstance(Statement.class.getClassLoader(),
                new Class<?>[] {Statement.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "execute" -> {
                        listens.incrementAndGet();
                        throw new SQLException("ERROR: cannot execute " + ((String) args[0]).split(" ")[0]
                                + " during recovery", "25006");
                    }
                    case "close" -> null;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
        return (Connection) Proxy.newProxyInstance(Connection.class.getClassLoader(), new Class<?>[] {Connection.class},
                (proxy, method, args) -> switch (method.getName()) {
                    case "createStatement" -> statement;
                    case "setAutoCommit", "close" -> null;
                    case "isClosed" -> false;
                    default -> throw new UnsupportedOperationException(method.getName());
                });
    }

    @Test
    void feedHealthOnAStandbySaysItCannotSeeThePrimarysTransactions() {
        FeedHealth onStandby = new FeedHealth(false, java.time.Instant.EPOCH, Duration.ofSeconds(5),
                java.util.Optional.empty(), true);
        assertThat(onStandby.describe()).startsWith("the server is a standby").contains("ask a store on the primary");
        assertThat(new FeedHealth(false, java.time.Instant.EPOCH, Duration.ofSeconds(5), java.util.Optional.empty())
                .standby()).isFalse();
    }

    @Test
    void aStandbyIsToldOnceAndSubscribersDoNotWaitForItsListen() throws Exception {
        AtomicInteger listens = new AtomicInteger();
        List<LogRecord> records = new CopyOnWriteArrayList<>();
        Logger jul = Logger.getLogger(PostgresEventStore.class.getName());
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                // This schema's records only: other stores of the test JVM log to the same logger.
                Object[] parameters = record.getParameters();
                String text = record.getMessage() + (parameters == null ? "" : java.util.Arrays.toString(parameters));
                if (text.contains("standby_schema")) {
                    records.add(record);
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        jul.addHandler(handler);
        CrossProcessNotifications notifications = new CrossProcessNotifications("standby_schema",
                () -> standbyConnection(listens), () -> {
                    throw new SQLException("no sends on a standby");
                }, true, () -> { }, xid -> { });
        try {
            long start = System.nanoTime();
            assertThat(notifications.ensureListening(Duration.ofMinutes(2))).as("not listening").isFalse();
            assertThat(System.nanoTime() - start).as("answered without waiting out the timeout")
                    .isLessThan(TimeUnit.MINUTES.toNanos(1));
            // A second subscriber is answered at once too.
            assertThat(notifications.ensureListening(Duration.ofMinutes(2))).isFalse();
            assertThat(listens.get()).as("one LISTEN tried, not one per subscriber").isBetween(1, 2);
            assertThat(records).filteredOn(r -> r.getLevel() == Level.WARNING).isEmpty();
            assertThat(records).filteredOn(r -> r.getLevel() == Level.INFO)
                    .anySatisfy(r -> assertThat(r.getMessage()).contains("standby"));
        } finally {
            jul.removeHandler(handler);
            notifications.close();
        }
    }
}
