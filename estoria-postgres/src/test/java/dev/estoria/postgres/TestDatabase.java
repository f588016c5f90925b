package dev.estoria.postgres;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.estoria.postgres.testserver.PostgresTestServer;
import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import javax.sql.DataSource;

/**
 * The PostgreSQL server the tests run against: the one at {@code ESTORIA_POSTGRES_URL} when that
 * variable is set, otherwise an embedded server started once per JVM. Never skipped: if the server
 * cannot be reached, the tests fail.
 */
final class TestDatabase {

    static final String URL_VARIABLE = PostgresTestServer.URL_VARIABLE;

    private static TestDatabase instance;

    final String jdbcUrl;
    final HikariDataSource pool;

    private TestDatabase(String jdbcUrl) {
        this.jdbcUrl = jdbcUrl;
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(24);
        config.setMinimumIdle(2);
        config.setConnectionTimeout(10_000);
        config.setPoolName("estoria-tests");
        config.addDataSourceProperty("options", "-c statement_timeout=30000");
        this.pool = new HikariDataSource(config);
    }

    static synchronized TestDatabase get() {
        if (instance == null) {
            instance = new TestDatabase(PostgresTestServer.url());
            HikariDataSource pool = instance.pool;
            Runtime.getRuntime().addShutdownHook(new Thread(pool::close));
        }
        return instance;
    }

    DataSource dataSource() {
        return pool;
    }

    /** A caller's pool of {@code size} plain connections: no server-side timeouts of its own. */
    HikariDataSource plainPool(int size) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(jdbcUrl);
        config.setMaximumPoolSize(size);
        return new HikariDataSource(config);
    }

    static String randomSchema() {
        return "t_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    /** A store in a fresh schema, over the shared pool, with the feed check off. */
    PostgresEventStore newStore(PostgresOptions options) {
        return PostgresEventStore.open(pool, options.withSchema(randomSchema()).withFeedCheckInterval(Duration.ZERO));
    }

    PostgresEventStore newStore() {
        return newStore(PostgresOptions.defaults());
    }

    /**
     * A store in a fresh schema with a pool of its own, opened from the URL as applications open
     * it: the configuration whose appends commit as single statements.
     */
    PostgresEventStore newOwnedStore(PostgresOptions options) {
        return PostgresEventStore.open(jdbcUrl, options.withSchema(randomSchema()).withFeedCheckInterval(Duration.ZERO));
    }

    /** Closes the store and drops its schema. */
    void discard(PostgresEventStore store) {
        if (store == null) {
            return;
        }
        store.close();
        dropSchema(store.options().schema());
    }

    void dropSchema(String schema) {
        try (Connection c = pool.getConnection(); Statement s = c.createStatement()) {
            s.execute("SET lock_timeout = '10s'");
            s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop schema " + schema, e);
        }
    }

    Connection connect() throws SQLException {
        return pool.getConnection();
    }

    /** A connection outside the pool, for sessions that tests kill or leave open. */
    Connection rawConnection() throws SQLException {
        return DriverManager.getConnection(jdbcUrl);
    }

    /**
     * Waits until a backend with the given {@code application_name} waits on a lock (the store's
     * own pool names its connections {@code estoria:<schema>}), failing after 20 seconds.
     *
     * @param what the wait expected, for the failure message
     */
    void awaitLockWaiter(String applicationName, String what) throws SQLException {
        awaitSome("SELECT count(*) FROM pg_stat_activity WHERE application_name = ? AND wait_event_type = 'Lock'",
                applicationName, "no backend of " + applicationName + " waited on a lock: " + what);
    }

    /** Waits until a backend waits on a lock that {@code holder}'s session holds, failing after 20 seconds. */
    void awaitBlockedBy(Connection holder) throws SQLException {
        long pid;
        try (ResultSet rs = holder.createStatement().executeQuery("SELECT pg_backend_pid()")) {
            rs.next();
            pid = rs.getLong(1);
        }
        awaitSome("SELECT count(*) FROM pg_stat_activity WHERE ?::int = ANY (pg_blocking_pids(pid))",
                Long.toString(pid), "no backend waited on a lock of session " + pid);
    }

    /** Polls a count query with one parameter until it counts something, failing after 20 seconds. */
    private void awaitSome(String countSql, String parameter, String failure) throws SQLException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        try (Connection c = connect(); PreparedStatement s = c.prepareStatement(countSql)) {
            s.setString(1, parameter);
            while (true) {
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("within 20 s, " + failure);
                }
                Thread.onSpinWait();
            }
        }
    }

    /** The URL's parts, for command-line tools. */
    record Endpoint(String host, int port, String database, String user, String password) {
    }

    Endpoint endpoint() {
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        String user = "postgres";
        String password = null;
        if (uri.getQuery() != null) {
            for (String kv : uri.getQuery().split("&")) {
                String[] p = kv.split("=", 2);
                if (p[0].equals("user")) {
                    user = p[1];
                } else if (p[0].equals("password")) {
                    password = p[1];
                }
            }
        }
        return new Endpoint(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), uri.getPath().substring(1), user, password);
    }

    /** The JDBC URL of another database on the same server. */
    String urlOfDatabase(String database) {
        Endpoint e = endpoint();
        return "jdbc:postgresql://" + e.host() + ":" + e.port() + "/" + database + "?user=" + e.user()
                + (e.password() == null ? "" : "&password=" + e.password());
    }
}
