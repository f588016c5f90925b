package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The feed health API and log line name the session that holds the global feed back. */
@Timeout(60)
class FeedHealthTest {

    private final TestDatabase db = TestDatabase.get();

    @Test
    void namesTheIdleTransactionHoldingTheFeedBackAndLogsIt() throws Exception {
        PostgresOptions options = PostgresOptions.defaults().withSchema(TestDatabase.randomSchema())
                .withFeedLagThreshold(Duration.ZERO).withFeedCheckInterval(Duration.ofMillis(50));
        Logger jul = Logger.getLogger(PostgresEventStore.class.getName());
        CountDownLatch logged = new CountDownLatch(1);
        StringBuilder line = new StringBuilder();
        try (Connection idle = db.rawConnection()) {
            idle.setAutoCommit(false);
            int pid;
            try (Statement s = idle.createStatement();
                    ResultSet rs = s.executeQuery("SELECT pg_backend_pid(), pg_current_xact_id()")) {
                rs.next();
                pid = rs.getInt(1);
            }
            Handler handler = new Handler() {
                @Override
                public void publish(LogRecord record) {
                    String message = java.text.MessageFormat.format(record.getMessage(),
                            record.getParameters() == null ? new Object[0] : record.getParameters());
                    if (record.getLevel() == Level.WARNING && message.contains("held back")
                            && message.contains("pid " + pid + " ")) {
                        synchronized (line) {
                            line.append(message);
                        }
                        logged.countDown();
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
            try (PostgresEventStore store = PostgresEventStore.open(db.dataSource(), options)) {
                FeedHealth health = store.health();
                assertThat(health.heldBack()).isTrue();
                FeedHealth.Holder holder = health.oldest().orElseThrow();
                // The oldest holder may be another session of a shared cluster; ours is at least as young.
                if (holder.pid() == pid) {
                    assertThat(holder.state()).isEqualTo("idle in transaction");
                    assertThat(holder.query()).contains("pg_current_xact_id");
                    assertThat(holder.transactionStart()).isBefore(health.checkedAt().plusMillis(1));
                }
                assertThat(logged.await(20, TimeUnit.SECONDS)).as("warning logged naming pid %d", pid).isTrue();
                synchronized (line) {
                    assertThat(line.toString()).contains("idle in transaction").contains("idle_in_transaction_session_timeout");
                }
                idle.commit();
                FeedHealth after = store.health();
                assertThat(after.oldest().map(FeedHealth.Holder::pid).orElse(-1)).isNotEqualTo(pid);

                PostgresOptions tolerant = options.withFeedLagThreshold(Duration.ofHours(1));
                try (PostgresEventStore other = PostgresEventStore.open(db.dataSource(), tolerant.withFeedCheckInterval(Duration.ZERO))) {
                    assertThat(other.health().heldBack()).as("young transactions are normal").isFalse();
                }
            } finally {
                jul.removeHandler(handler);
                db.dropSchema(options.schema());
            }
        }
    }

    @Test
    void theCommittedHeadIncludesEventsHeldBackFromReaders() throws Exception {
        PostgresEventStore store = db.newStore(PostgresOptions.defaults().withReadSettleTimeout(Duration.ZERO));
        try {
            long before = store.appendStream(dev.estoria.typeid.TypeId.newV4("held"),
                    java.util.List.of(dev.estoria.eventstore.WritableEvent.of("e", new byte[0])))
                    .get(0).globalPosition().orElseThrow();
            assertThat(store.committedHeadPosition()).isEqualTo(store.headPosition()).isEqualTo(before);
            try (Connection older = db.rawConnection()) {
                older.setAutoCommit(false);
                try (Statement s = older.createStatement()) {
                    s.execute("SELECT pg_current_xact_id()");
                }
                long held = store.appendStream(dev.estoria.typeid.TypeId.newV4("held"),
                        java.util.List.of(dev.estoria.eventstore.WritableEvent.of("e", new byte[0])))
                        .get(0).globalPosition().orElseThrow();
                assertThat(store.committedHeadPosition()).as("committed, held back").isEqualTo(held);
                assertThat(store.headPosition()).as("what readers see").isEqualTo(before);
                older.commit();
            }
            assertThat(store.headPosition()).isEqualTo(store.committedHeadPosition());
        } finally {
            db.discard(store);
        }
    }

    @Test
    void namesTheOldestOfSeveralOpenTransactions() throws Exception {
        PostgresOptions options = PostgresOptions.defaults().withSchema(TestDatabase.randomSchema())
                .withFeedLagThreshold(Duration.ofMillis(500)).withFeedCheckInterval(Duration.ZERO);
        try (Connection older = db.rawConnection(); Connection younger = db.rawConnection()) {
            openWritingTransaction(older);
            Thread.sleep(1_000); // the older one passes the threshold
            int youngerPid = openWritingTransaction(younger);
            try (PostgresEventStore store = PostgresEventStore.open(db.dataSource(), options)) {
                FeedHealth health = store.health();
                FeedHealth.Holder holder = health.oldest().orElseThrow();
                assertThat(holder.pid()).isNotEqualTo(youngerPid);
                assertThat(holder.age()).isGreaterThanOrEqualTo(Duration.ofMillis(900));
                assertThat(health.heldBack()).isTrue();
            } finally {
                older.rollback();
                younger.rollback();
                db.dropSchema(options.schema());
            }
        }
    }

    private static int openWritingTransaction(Connection c) throws Exception {
        c.setAutoCommit(false);
        try (Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_backend_pid(), pg_current_xact_id()")) {
            rs.next();
            return rs.getInt(1);
        }
    }
}
