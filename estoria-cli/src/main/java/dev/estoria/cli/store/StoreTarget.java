package dev.estoria.cli.store;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the command line keeps its events, as chosen by the store options of a command.
 *
 * <p>Sealed so that every opener handles every kind of target.
 */
public sealed interface StoreTarget permits StoreTarget.File, StoreTarget.Postgres {

    /** A short description for messages, such as the file name; never includes credentials. */
    String describe();

    /**
     * A single-file store.
     *
     * @param path the database file; need not exist yet
     */
    record File(Path path) implements StoreTarget {

        public File {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String describe() {
            return path.toString();
        }
    }

    /**
     * A store in a schema of a PostgreSQL database.
     *
     * @param jdbcUrl a {@code jdbc:postgresql:} URL, credentials included
     * @param schema the schema holding the store's tables
     */
    record Postgres(String jdbcUrl, String schema) implements StoreTarget {

        public Postgres {
            Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            Objects.requireNonNull(schema, "schema");
        }

        /**
         * The whole URL with the values of its {@code password} and {@code sslpassword} (the client
         * key's) parameters hidden, for printing.
         */
        public String urlWithoutPassword() {
            return jdbcUrl.replaceAll("(?i)([?&](?:ssl)?password=)[^&]*", "$1...");
        }

        /** The URL without its query, which may hold a password. */
        public String server() {
            int query = jdbcUrl.indexOf('?');
            return query < 0 ? jdbcUrl : jdbcUrl.substring(0, query);
        }

        @Override
        public String describe() {
            return "schema " + schema + " at " + server();
        }

        /** Leaves the password out, should the URL be printed or logged. */
        @Override
        public String toString() {
            return "Postgres[" + describe() + "]";
        }
    }
}
