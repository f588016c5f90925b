package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Schemas shared between roles, pools and tenants of one database. */
@Timeout(60)
class SchemaTenancyTest {

    private final TestDatabase db = TestDatabase.get();

    private static PostgresOptions options(String schema) {
        return PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO);
    }

    /**
     * The usual least-privilege set-up: an administrator creates the store's schema, and the
     * application's role, which may not create schemas in the database, uses it. {@code CREATE
     * SCHEMA IF NOT EXISTS} checks the database privilege before it looks whether the schema
     * exists, so opening must not issue it for a schema that is there.
     */
    @Test
    void aRoleThatMayNotCreateSchemasOpensAnExistingStore() throws Exception {
        String schema = TestDatabase.randomSchema();
        String role = "r_" + schema;
        TestDatabase.Endpoint e = db.endpoint();
        try {
            PostgresEventStore.open(db.dataSource(), options(schema)).close();
            execute("CREATE ROLE \"" + role + "\" LOGIN");
            execute("GRANT USAGE ON SCHEMA \"" + schema + "\" TO \"" + role + "\"");
            execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"" + schema + "\" TO \"" + role + "\"");
            assertThat(scalar("SELECT has_database_privilege('" + role + "', current_database(), 'CREATE')"))
                    .isEqualTo("f");
            String url = "jdbc:postgresql://" + e.host() + ":" + e.port() + "/" + e.database() + "?user=" + role;
            try (PostgresEventStore store = PostgresEventStore.open(url, options(schema))) {
                TypeId stream = TypeId.newV4("granted");
                store.appendStream(stream, List.of(WritableEvent.of("x", new byte[] {1})));
                assertThat(store.readStream(stream, ReadStreamOptions.defaults()).toList()).hasSize(1);
            }
        } finally {
            db.dropSchema(schema);
            execute("DROP ROLE IF EXISTS \"" + role + "\"");
        }
    }

    /**
     * A caller's pool whose transactions default to repeatable read: a second opener waiting for
     * the first one's advisory lock took its snapshot before the wait, so it must not decide from
     * that snapshot that the schema it finds has no store yet.
     */
    @Test
    void anOpenerWaitingForAnotherOnARepeatableReadPoolFindsTheSchemaItCreated() throws Exception {
        String schema = TestDatabase.randomSchema();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl);
        config.setMaximumPoolSize(3);
        config.setTransactionIsolation("TRANSACTION_REPEATABLE_READ");
        ExecutorService opener = Executors.newSingleThreadExecutor();
        try (HikariDataSource repeatableRead = new HikariDataSource(config);
                Connection first = db.rawConnection()) {
            // The first opener holds the schema's lock (a session lock, which its migration shares).
            try (PreparedStatement s = first.prepareStatement(
                    "SELECT pg_advisory_lock(hashtextextended(?, 0))")) {
                s.setString(1, "dev.estoria.postgres.schema:" + schema);
                s.execute();
            }
            Future<PostgresEventStore> second = opener.submit(
                    () -> PostgresEventStore.open(repeatableRead, options(schema)));
            db.awaitBlockedBy(first);
            new Schema(schema).migrate(first, false);
            try (Statement s = first.createStatement()) {
                s.execute("SELECT pg_advisory_unlock_all()");
            }
            try (PostgresEventStore store = second.get(30, TimeUnit.SECONDS)) {
                TypeId stream = TypeId.newV4("raced");
                store.appendStream(stream, List.of(WritableEvent.of("x", new byte[] {1})));
                assertThat(store.readStream(stream, ReadStreamOptions.defaults()).toList()).hasSize(1);
            }
        } finally {
            opener.shutdownNow();
            db.dropSchema(schema);
        }
    }

    /**
     * pg_dump leaves {@code information_schema} out of every dump, so a store there would be lost
     * by the next backup and restore; it is refused like the {@code pg_} schemas. The store quotes
     * schema names, so {@code "INFORMATION_SCHEMA"} is another schema, which pg_dump keeps.
     */
    @Test
    void informationSchemaIsRefused() {
        assertThatThrownBy(() -> PostgresOptions.defaults().withSchema("information_schema"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("information_schema");
        for (String other : List.of("INFORMATION_SCHEMA", "Information_Schema")) {
            assertThat(PostgresOptions.defaults().withSchema(other).schema()).isEqualTo(other);
        }
    }

    /**
     * Schemas whose channel name is hashed must not share a channel: the 31-based polynomial hash
     * gives "Aa" and "BB" the same value, so two tenants' long names differing only there would
     * wake each other; nor may a hashed channel equal the plain channel of a short schema.
     */
    @Test
    void longSchemaNamesGetChannelsOfTheirOwn() {
        String prefix = "tenant_" + "x".repeat(50);
        String one = prefix + "Aa";
        String two = prefix + "BB";
        assertThat(CrossProcessNotifications.channelName(one)).isNotEqualTo(CrossProcessNotifications.channelName(two));

        String hashed = CrossProcessNotifications.channelName(one);
        // The short schema whose plain channel this would be, if there is one.
        String plain = hashed.substring(0, hashed.length() - "_appends".length());
        boolean sharedWithAShortSchema;
        try {
            PostgresOptions.validateSchemaName(plain);
            sharedWithAShortSchema = CrossProcessNotifications.channelName(plain).equals(hashed);
        } catch (IllegalArgumentException notASchema) {
            sharedWithAShortSchema = false;
        }
        assertThat(sharedWithAShortSchema).as(hashed).isFalse();
        assertThat(hashed.getBytes(java.nio.charset.StandardCharsets.UTF_8).length).isLessThanOrEqualTo(63);
    }

    /**
     * A URL that sets the search path the usual way, through its {@code options} parameter, must
     * not take away the statement and lock timeouts the store's own pool promises: the driver lets
     * the URL's {@code options} replace the store's.
     */
    @Test
    void aUrlWithItsOwnOptionsKeepsTheStoresTimeouts() throws Exception {
        String schema = TestDatabase.randomSchema();
        String url = db.jdbcUrl + (db.jdbcUrl.contains("?") ? "&" : "?") + "options=-c%20search_path%3Dpublic";
        PostgresOptions options = options(schema).withStatementTimeout(Duration.ofSeconds(7));
        try (PostgresEventStore store = PostgresEventStore.open(url, options)) {
            Connection c = store.beginTransaction();
            try (Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT current_setting('statement_timeout'),"
                            + " current_setting('lock_timeout'), current_setting('search_path')")) {
                rs.next();
                assertThat(rs.getString(1)).isEqualTo("7s");
                assertThat(rs.getString(2)).isEqualTo("3500ms");
                assertThat(rs.getString(3)).isEqualTo("public");
            } finally {
                PostgresEventStore.closeQuietly(c);
            }
        } finally {
            db.dropSchema(schema);
        }
    }

    /**
     * PostgreSQL cuts an {@code application_name} to 63 bytes without a word: the sessions of two
     * tenants whose long schema names share their first 55 characters must still tell apart in
     * {@code pg_stat_activity} (and in {@link PostgresEventStore#health()}).
     */
    @Test
    void storesOfLongSchemaNamesKeepSessionNamesOfTheirOwn() throws Exception {
        String prefix = "tenant_" + "y".repeat(54);
        String one = prefix + "01";
        String two = prefix + "02";
        try (PostgresEventStore a = PostgresEventStore.open(db.jdbcUrl, options(one));
                PostgresEventStore b = PostgresEventStore.open(db.jdbcUrl, options(two))) {
            String nameOfA = sessionName(a);
            String nameOfB = sessionName(b);
            assertThat(nameOfA).isNotEqualTo(nameOfB).startsWith("estoria:tenant_");
            assertThat(nameOfA).isEqualTo(Schema.applicationName(one, ""));
            assertThat(Schema.applicationName(one, ":notify")).endsWith(":notify").hasSizeLessThanOrEqualTo(63);
        } finally {
            db.dropSchema(one);
            db.dropSchema(two);
        }
    }

    private static String sessionName(PostgresEventStore store) throws Exception {
        Connection c = store.beginTransaction();
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_setting('application_name')")) {
            rs.next();
            return rs.getString(1);
        } finally {
            PostgresEventStore.closeQuietly(c);
        }
    }

    private void execute(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private String scalar(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
