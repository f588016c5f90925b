package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * close() called from work inside a write transaction cannot wait for that work; the store must still
 * do what close() promises ("the group of writes in progress commits") and release the file once the
 * work is done. Before the fix it closed the write connection under the running work: the work's
 * next statement failed with "database connection closed" and everything it wrote was lost.
 */
@Timeout(60)
class CloseInsideWriteTransactionTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    @TempDir
    Path directory;

    @Test
    void workThatClosesTheStoreStillCommitsAndTheFileIsReleased() throws Exception {
        Path file = directory.resolve("closed-inside.db");
        SqliteEventStore store = SqliteEventStore.open(file);
        store.appendStream(TypeId.newV4("account"), List.of(WritableEvent.of("opened", new byte[] {1})));

        String result = CompletableFuture.supplyAsync(() -> store.inWriteTransaction(connection -> {
            try (Statement statement = connection.createStatement()) {
                statement.execute("CREATE TABLE read_model (x INTEGER)");
                store.close();
                statement.execute("INSERT INTO read_model VALUES (42)");
            }
            return "done";
        })).get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        assertThat(result).isEqualTo("done");

        // The store is closed for everything else.
        assertThatThrownBy(() -> store.appendStream(TypeId.newV4("account"),
                List.of(WritableEvent.of("opened", new byte[] {1})))).isInstanceOf(EventStoreException.class)
                .hasMessageContaining("closed");
        assertThatThrownBy(store::readAll).isInstanceOf(EventStoreException.class).hasMessageContaining("closed");

        // The write connection is closed once the work is done: no writer thread is left, the
        // write-ahead log is checkpointed and removed, and the file opens again with the work's row.
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (writerThreadAlive() || Files.exists(directory.resolve("closed-inside.db-wal"))) {
            assertThat(System.nanoTime() - deadline).as("writer thread ended and -wal removed in time").isNegative();
            Thread.sleep(5);
        }
        try (SqliteEventStore reopened = SqliteEventStore.open(file)) {
            int value = reopened.inReadTransaction(connection -> {
                try (Statement statement = connection.createStatement();
                        ResultSet rows = statement.executeQuery("SELECT x FROM read_model")) {
                    return rows.next() ? rows.getInt(1) : -1;
                }
            });
            assertThat(value).isEqualTo(42);
        }
    }

    private static boolean writerThreadAlive() {
        return Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.isAlive() && t.getName().startsWith("estoria-sqlite-writer closed-inside.db"));
    }
}
