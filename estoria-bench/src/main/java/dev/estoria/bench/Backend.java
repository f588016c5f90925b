package dev.estoria.bench;

import dev.estoria.eventstore.AppendNotifier;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.postgres.PostgresEventStore;
import dev.estoria.postgres.PostgresOptions;
import dev.estoria.postgres.PostgresSnapshotStore;
import dev.estoria.snapshot.SnapshotStore;
import dev.estoria.sqlite.SqliteEventStore;
import dev.estoria.sqlite.SqliteSnapshotStore;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.HexFormat;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.Supplier;

/**
 * Where the aggregate and projection benchmarks open their stores: a fresh SQLite file, or a fresh
 * PostgreSQL schema. Closing an opened store deletes the file or drops the schema.
 */
public interface Backend {

    /** A short name for tables, such as {@code SQLite}. */
    String name();

    /** Opens a fresh, empty store. */
    Opened open();

    /** An open store and what it takes to remove it. */
    interface Opened extends AutoCloseable {
        /** The store; it is a {@link GlobalReader} and an {@link AppendNotifier} too. */
        EventStore store();

        /** The backend's own durable snapshot store (its snapshot table), over {@link #store()}. */
        SnapshotStore snapshots();

        @Override
        void close();
    }

    /** An opened store: closing closes the store, then runs the removal of what it lived in. */
    record OpenedStore(AutoCloseable closeable, EventStore store, SnapshotStore snapshots, Runnable removal)
            implements Opened {
        @Override
        public void close() {
            try {
                closeable.close();
            } catch (RuntimeException e) {
                throw e;
            } catch (Exception e) {
                throw new IllegalStateException("closing the store failed: " + e, e);
            } finally {
                removal.run();
            }
        }
    }

    /** A backend of the given name whose {@link #open()} is {@code opener}. */
    private static Backend of(String name, Supplier<Opened> opener) {
        return new Backend() {
            @Override
            public String name() {
                return name;
            }

            @Override
            public Opened open() {
                return opener.get();
            }
        };
    }

    /** A fresh file under {@code directory} per store. */
    static Backend sqlite(Path directory) {
        return of("SQLite", () -> {
            Path dir = TempFiles.newDirectory(directory);
            SqliteEventStore store = SqliteEventStore.open(dir.resolve("events.db"));
            return new OpenedStore(store, store, SqliteSnapshotStore.of(store), () -> TempFiles.deleteRecursively(dir));
        });
    }

    /** A fresh schema {@code bench_<random>} in the database at {@code url} per store. */
    static Backend postgres(String url) {
        return of("PostgreSQL", () -> {
            String schema = "bench_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
            PostgresEventStore store = PostgresEventStore.open(url,
                    PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO));
            return new OpenedStore(store, store, PostgresSnapshotStore.of(store), () -> {
                try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
                    s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
                } catch (SQLException e) {
                    throw new IllegalStateException("could not drop schema " + schema, e);
                }
            });
        });
    }
}
