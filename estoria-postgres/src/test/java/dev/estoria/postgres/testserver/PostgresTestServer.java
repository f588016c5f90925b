package dev.estoria.postgres.testserver;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;

/**
 * The PostgreSQL server every module's tests run against: the one at {@value #URL_VARIABLE} when
 * that variable is set, otherwise an embedded server started once per JVM and stopped when the JVM
 * exits. Never skipped: a server that cannot be reached fails the tests. Shared with other modules'
 * tests through this module's test jar.
 */
public final class PostgresTestServer {

    /** The environment variable naming a server to use instead of the embedded one. */
    public static final String URL_VARIABLE = "ESTORIA_POSTGRES_URL";

    private static String url;

    private PostgresTestServer() {
    }

    /** The JDBC URL of the server, credentials included. */
    public static synchronized String url() {
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
}
