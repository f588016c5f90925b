package dev.estoria.bench;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
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

    static final String URL_VARIABLE = "ESTORIA_POSTGRES_URL";

    private static String url;

    private TestPostgres() {
    }

    static synchronized String url() {
        if (url == null) {
            String configured = System.getenv(URL_VARIABLE);
            if (configured != null && !configured.isBlank()) {
                url = configured;
            } else {
                EmbeddedPostgres embedded;
                try {
                    embedded = EmbeddedPostgres.builder().start();
                } catch (IOException e) {
                    throw new IllegalStateException("could not start the embedded PostgreSQL server", e);
                }
                Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                    try {
                        embedded.close();
                    } catch (IOException ignored) {
                        // The JVM is exiting.
                    }
                }));
                url = embedded.getJdbcUrl("postgres", "postgres");
            }
        }
        return url;
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
