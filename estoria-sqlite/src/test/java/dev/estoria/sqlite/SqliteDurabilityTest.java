package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.sqlite.SqliteOptions.Durability;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The write connection runs in WAL mode with the synchronous setting the durability asks for. */
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
        }
    }

    @Test
    @DisplayName("relaxed durability: WAL with synchronous=NORMAL")
    void normalWhenAsked() {
        SqliteOptions options = SqliteOptions.defaults()
                .withDurability(Durability.NORMAL)
                .withBusyTimeout(Duration.ofMillis(1234));
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("normal.db"), options)) {
            assertThat(pragma(store, "journal_mode")).isEqualTo("wal");
            assertThat(pragma(store, "synchronous")).isEqualTo("1");
            assertThat(pragma(store, "busy_timeout")).isEqualTo("1234");
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
}
