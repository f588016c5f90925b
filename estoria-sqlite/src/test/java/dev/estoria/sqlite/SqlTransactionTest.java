package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Application tables in the store's file: write and read transactions on lent connections. */
class SqlTransactionTest {

    @TempDir
    Path directory;

    private SqliteEventStore store;

    @BeforeEach
    void open() {
        store = SqliteEventStore.open(directory.resolve("events.db"));
        store.inWriteTransaction(tx -> {
            try (Statement s = tx.createStatement()) {
                s.execute("CREATE TABLE totals (name TEXT PRIMARY KEY, n INTEGER NOT NULL)");
            }
            return null;
        });
    }

    @AfterEach
    void close() {
        store.close();
    }

    private long total(String name) {
        return store.inReadTransaction(tx -> {
            try (PreparedStatement q = tx.prepareStatement("SELECT n FROM totals WHERE name = ?")) {
                q.setString(1, name);
                try (ResultSet rows = q.executeQuery()) {
                    return rows.next() ? rows.getLong(1) : -1L;
                }
            }
        });
    }

    private static void insert(Connection tx, String name, long n) throws SQLException {
        try (PreparedStatement s = tx.prepareStatement("INSERT INTO totals (name, n) VALUES (?, ?)")) {
            s.setString(1, name);
            s.setLong(2, n);
            s.executeUpdate();
        }
    }

    @Test
    @DisplayName("a write transaction commits what the work wrote and returns its result; reads see it")
    void commits() {
        String result = store.inWriteTransaction(tx -> {
            insert(tx, "a", 1);
            return "done";
        });
        assertThat(result).isEqualTo("done");
        assertThat(total("a")).isEqualTo(1);
    }

    @Test
    @DisplayName("a work that throws writes nothing; an SQLException arrives as an EventStoreException")
    void rollsBack() {
        assertThatThrownBy(() -> store.inWriteTransaction(tx -> {
            insert(tx, "b", 1);
            throw new IllegalStateException("changed my mind");
        })).isInstanceOf(IllegalStateException.class).hasMessage("changed my mind");
        assertThatThrownBy(() -> store.inWriteTransaction(tx -> {
            insert(tx, "b", 1);
            insert(tx, "b", 2);
            return null;
        })).isInstanceOf(EventStoreException.class).hasMessageContaining("UNIQUE");
        assertThat(total("b")).isEqualTo(-1);
    }

    @Test
    @DisplayName("closing, committing or unwrapping the lent connection is refused, and the store keeps working")
    void refusesTransactionControl() {
        for (String call : List.of("close", "commit", "rollback", "autoCommit", "unwrap")) {
            assertThatThrownBy(() -> store.inWriteTransaction(tx -> {
                insert(tx, call, 1);
                switch (call) {
                    case "close" -> tx.close();
                    case "commit" -> tx.commit();
                    case "rollback" -> tx.rollback();
                    case "autoCommit" -> tx.setAutoCommit(false);
                    default -> tx.unwrap(org.sqlite.SQLiteConnection.class).close();
                }
                return null;
            })).as(call).isInstanceOfAny(UnsupportedOperationException.class, EventStoreException.class);
            assertThat(total(call)).as(call).isEqualTo(-1);
        }
        TypeId stream = TypeId.newV4("account");
        assertThat(store.appendStream(stream, List.of(WritableEvent.json("opened", "{}")))).hasSize(1);
    }

    @Test
    @DisplayName("a work that ends the transaction with COMMIT fails clearly, alone, and the writer goes on")
    void detectsEndedTransaction() {
        assertThatThrownBy(() -> store.inWriteTransaction(tx -> {
            try (Statement s = tx.createStatement()) {
                s.executeUpdate("INSERT INTO totals VALUES ('c', 1); COMMIT");
            }
            return null;
        })).isInstanceOf(IllegalStateException.class).hasMessageContaining("ended inside the work");
        store.inWriteTransaction(tx -> {
            insert(tx, "d", 4);
            return null;
        });
        assertThat(total("d")).isEqualTo(4);
        assertThat(store.appendStream(TypeId.newV4("account"), List.of(WritableEvent.json("opened", "{}")))).hasSize(1);
    }

    @Test
    @DisplayName("the lent connection and its statements cannot be used after the work returns")
    void loanEnds() {
        AtomicReference<Connection> kept = new AtomicReference<>();
        AtomicReference<PreparedStatement> statement = new AtomicReference<>();
        store.inWriteTransaction(tx -> {
            kept.set(tx);
            statement.set(tx.prepareStatement("INSERT INTO totals VALUES ('late', 1)"));
            return null;
        });
        assertThatThrownBy(() -> kept.get().createStatement()).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("has ended");
        assertThatThrownBy(() -> statement.get().executeUpdate()).isInstanceOf(SQLException.class);
        assertThat(total("late")).isEqualTo(-1);
    }

    @Test
    @DisplayName("a read transaction sees one snapshot and cannot write")
    void readTransaction() {
        store.inWriteTransaction(tx -> {
            insert(tx, "r", 1);
            return null;
        });
        long[] seen = store.inReadTransaction(tx -> {
            long first = count(tx);
            store.inWriteTransaction(w -> {
                insert(w, "r2", 2);
                return null;
            });
            return new long[] {first, count(tx)};
        });
        assertThat(seen).containsExactly(1, 1);
        assertThat(total("r2")).isEqualTo(2);
        assertThatThrownBy(() -> store.inReadTransaction(tx -> {
            insert(tx, "w", 1);
            return null;
        })).isInstanceOf(EventStoreException.class);
    }

    private static long count(Connection tx) throws SQLException {
        try (Statement s = tx.createStatement(); ResultSet rows = s.executeQuery("SELECT count(*) FROM totals")) {
            rows.next();
            return rows.getLong(1);
        }
    }
}
