package dev.estoria.cli;

import dev.estoria.postgres.testserver.PostgresTestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;

/**
 * The PostgreSQL server the end-to-end tests run the commands against: the one at {@code
 * ESTORIA_POSTGRES_URL} when that variable is set, otherwise an embedded server started once per
 * JVM. Never skipped: if the server cannot be reached, the tests fail.
 */
final class TestPostgres {

    private TestPostgres() {}

    /** The JDBC URL of the server, credentials included. */
    static String url() {
        return PostgresTestServer.url();
    }

    /** A schema name no other test uses. */
    static String freshSchema() {
        return "cli_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
    }

    static boolean schemaExists(String schema) throws SQLException {
        try (Connection c = DriverManager.getConnection(url());
                var query = c.prepareStatement("SELECT 1 FROM information_schema.schemata WHERE schema_name = ?")) {
            query.setString(1, schema);
            try (var rows = query.executeQuery()) {
                return rows.next();
            }
        }
    }

    static void dropSchema(String schema) throws SQLException {
        try (Connection c = DriverManager.getConnection(url()); Statement s = c.createStatement()) {
            s.execute("SET lock_timeout = '10s'");
            s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
        }
    }
}
