package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.sqlite.SqliteOptions.Durability;
import dev.estoria.typeid.TypeId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The write connection runs in WAL mode with the synchronous setting the durability asks for, and
 * checkpoints the log at the size the options ask for.
 */
class SqliteDurabilityTest {

    @TempDir
    Path directory;

    @Test
    @DisplayName("full durability by default: WAL with synchronous=FULL, and the busy timeout applied")
    void fullByDefault() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("full.db"))) {
            assertThat(pragma(store, "journal_mode")).isEqualTo("wal");
            assertThat(pragma(store, "synchronous")).isEqualTo("2");
            assertThat(pragma(store, "busy_timeout")).isEqualTo("5000");
            assertThat(pragma(store, "wal_autocheckpoint"))
                    .isEqualTo(String.valueOf(SqliteOptions.DEFAULT_CHECKPOINT_PAGES));
        }
    }

    @Test
    @DisplayName("relaxed durability: WAL with synchronous=NORMAL")
    void normalWhenAsked() {
        SqliteOptions options = SqliteOptions.defaults()
                .withDurability(Durability.NORMAL)
                .withBusyTimeout(Duration.ofMillis(1234))
                .withCheckpointPages(250);
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("normal.db"), options)) {
            assertThat(pragma(store, "journal_mode")).isEqualTo("wal");
            assertThat(pragma(store, "synchronous")).isEqualTo("1");
            assertThat(pragma(store, "busy_timeout")).isEqualTo("1234");
            assertThat(pragma(store, "wal_autocheckpoint")).isEqualTo("250");
        }
    }

    @Test
    @DisplayName("the write-ahead log is checkpointed, and its file reused, once it holds checkpointPages pages")
    void checkpointPagesBoundTheLog() throws Exception {
        // 300 appends commit about 2,000 pages of log: with a limit of 20 pages the file stays near
        // 20 frames; with the default it holds them all, where SQLite's own limit of 1,000 pages
        // would have had it reused.
        assertThat(walFramesAfterAppends(SqliteOptions.defaults().withCheckpointPages(20), "small.db"))
                .isPositive().isLessThan(60);
        assertThat(walFramesAfterAppends(SqliteOptions.defaults(), "large.db")).isGreaterThan(1_500);
    }

    @Test
    @DisplayName("checkpointPages below 1 is refused")
    void checkpointPagesAtLeastOne() {
        assertThatThrownBy(() -> SqliteOptions.defaults().withCheckpointPages(0))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("checkpointPages must be at least 1, was 0");
    }

    /** How many frames (a 24-byte header and a page each) the log file has room for after 300 appends. */
    private long walFramesAfterAppends(SqliteOptions options, String name) throws Exception {
        Path file = directory.resolve(name);
        try (SqliteEventStore store = SqliteEventStore.open(file, options)) {
            TypeId stream = TypeId.newV7("account");
            for (int version = 0; version < 300; version++) {
                store.appendStream(stream, List.of(WritableEvent.of("deposited", new byte[200])),
                        version == 0 ? AppendStreamOptions.expectingNoStream()
                                : AppendStreamOptions.expectingVersion(version));
            }
            long pageSize = Long.parseLong(pragma(store, "page_size"));
            return Files.size(file.resolveSibling(name + "-wal")) / (24 + pageSize);
        }
    }

    private static String pragma(SqliteEventStore store, String name) {
        return store.onWriter(connection -> {
            try (var statement = connection.createStatement();
                    var rows = statement.executeQuery("PRAGMA " + name)) {
                rows.next();
                return rows.getString(1);
            }
        });
    }

    @Test
    @DisplayName("closing the store closes every read connection, idle or freed later, so the log is checkpointed away")
    void closeReleasesEveryReadConnection() throws Exception {
        Path file = directory.resolve("closed.db");
        SqliteEventStore store = SqliteEventStore.open(file);
        TypeId stream = TypeId.newV7("account");
        store.appendStream(stream, List.of(WritableEvent.of("deposited", new byte[10])));
        StreamIterator open = store.readAll(); // holds a connection across the close
        try (StreamIterator drained = store.readStream(stream)) {
            drained.toList(); // a second connection, back in the pool, idle
        }
        store.close();
        open.close();
        // Leaving WAL mode needs the only connection to the file: none of the store's may be left open.
        try (java.sql.Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
                java.sql.Statement s = c.createStatement();
                java.sql.ResultSet rows = s.executeQuery("PRAGMA journal_mode = DELETE")) {
            rows.next();
            assertThat(rows.getString(1)).isEqualTo("delete");
        }
    }
}
