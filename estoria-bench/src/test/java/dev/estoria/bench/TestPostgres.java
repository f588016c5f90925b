package dev.estoria.bench;

import dev.estoria.postgres.testserver.PostgresTestServer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * The PostgreSQL server the tests run against: the one at {@code ESTORIA_POSTGRES_URL} when that
 * variable is set, otherwise an embedded server started once per JVM. Never skipped: if the server
 * cannot be reached, the tests fail.
 */
final class TestPostgres {

    private TestPostgres() {
    }

    static String url() {
        return PostgresTestServer.url();
    }

    /** The schemas whose names start with {@code prefix}. */
    static List<String> schemasStartingWith(String prefix) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url());
                PreparedStatement s = c.prepareStatement(
                        "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, ?)")) {
            s.setString(1, prefix);
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    names.add(rs.getString(1));
                }
            }
        }
        return names;
    }
}
