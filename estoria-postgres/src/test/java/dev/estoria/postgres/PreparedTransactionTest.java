package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A prepared (two-phase) transaction holds its transaction ID until it is committed or rolled back,
 * with no backend behind it: the global feed must wait for it like for any open writer (delay, never
 * loss), and {@link PostgresEventStore#health()} must name it. Against an embedded server the test
 * owns, since two-phase commit needs {@code max_prepared_transactions} > 0, which a shared server
 * rarely has.
 */
@Timeout(120)
class PreparedTransactionTest {

    private static EmbeddedPostgres server;
    private static String url;

    @BeforeAll
    static void start() throws Exception {
        server = EmbeddedPostgres.builder().setServerConfig("max_prepared_transactions", "4").start();
        url = server.getJdbcUrl("postgres", "postgres");
    }

    @AfterAll
    static void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private static List<WritableEvent> one(String type) {
        return List.of(WritableEvent.of(type, new byte[] {1}));
    }

    @Test
    void aPreparedTransactionHoldsTheFeedBackUntilItEndsAndHealthNamesIt() throws Exception {
        String schema = TestDatabase.randomSchema();
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO)
                .withReadSettleTimeout(Duration.ZERO).withFeedLagThreshold(Duration.ZERO);
        try (PostgresEventStore store = PostgresEventStore.open(url, options);
                Connection other = DriverManager.getConnection(url)) {
            List<Event> before = store.appendStream(TypeId.newV4("account"), one("opened"));
            try (Statement s = other.createStatement()) {
                s.execute("CREATE TABLE \"" + schema + "\".ledger (id int)");
                other.setAutoCommit(false);
                s.execute("INSERT INTO \"" + schema + "\".ledger VALUES (1)");
                s.execute("PREPARE TRANSACTION 'estoria-2pc-test'");
            }
            other.setAutoCommit(true);
            try {
                List<Event> during = store.appendStream(TypeId.newV4("account"), one("opened"));

                assertThat(store.readAll(ReadAllOptions.defaults()).toList())
                        .as("the event committed after the prepared transaction began is held back")
                        .containsExactlyElementsOf(before);
                FeedHealth health = store.health();
                assertThat(health.heldBack()).isTrue();
                FeedHealth.Holder holder = health.oldest().orElseThrow();
                assertThat(holder.pid()).isZero();
                assertThat(holder.state()).isEqualTo("prepared");
                assertThat(holder.applicationName()).isEqualTo("estoria-2pc-test");
                assertThat(health.describe()).contains("estoria-2pc-test").contains("prepared");

                try (Statement s = other.createStatement()) {
                    s.execute("COMMIT PREPARED 'estoria-2pc-test'");
                }
                assertThat(store.readAll(ReadAllOptions.defaults()).toList())
                        .containsExactly(before.get(0), during.get(0));
                assertThat(store.health().oldest()).isEmpty();
            } finally {
                try (Statement s = other.createStatement()) {
                    // Ends the transaction if an assertion failed before it was committed.
                    s.execute("SELECT 1 FROM pg_prepared_xacts WHERE gid = 'estoria-2pc-test'");
                    if (s.getResultSet().next()) {
                        s.execute("ROLLBACK PREPARED 'estoria-2pc-test'");
                    }
                }
            }
        }
    }
}
