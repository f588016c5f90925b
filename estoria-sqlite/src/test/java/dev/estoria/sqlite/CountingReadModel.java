package dev.estoria.sqlite;

import dev.estoria.eventstore.Event;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.UUID;

/**
 * A read model that shows double counting: a counter row, and one row per event ID under a primary
 * key, so an event applied twice fails its insert (and would show in the counter if it did not).
 */
final class CountingReadModel {

    private CountingReadModel() {
    }

    static void createTables(SqliteEventStore store) {
        store.inWriteTransaction(tx -> {
            try (Statement s = tx.createStatement()) {
                s.execute("CREATE TABLE IF NOT EXISTS counter (id INTEGER PRIMARY KEY CHECK (id = 1), n INTEGER NOT NULL)");
                s.execute("INSERT OR IGNORE INTO counter (id, n) VALUES (1, 0)");
                s.execute("CREATE TABLE IF NOT EXISTS seen (event_id TEXT PRIMARY KEY, position INTEGER NOT NULL)");
            }
            return null;
        });
    }

    /** The handler: one seen row and one increment per event. */
    static void apply(Connection tx, Event event) throws SQLException {
        try (PreparedStatement insert = tx.prepareStatement("INSERT INTO seen (event_id, position) VALUES (?, ?)")) {
            insert.setString(1, event.id().uuid().toString());
            insert.setLong(2, event.globalPosition().orElseThrow());
            insert.executeUpdate();
        }
        try (PreparedStatement bump = tx.prepareStatement("UPDATE counter SET n = n + 1 WHERE id = 1")) {
            bump.executeUpdate();
        }
    }

    static long counter(SqliteEventStore store) {
        return store.inReadTransaction(tx -> {
            try (Statement s = tx.createStatement(); ResultSet rows = s.executeQuery("SELECT n FROM counter")) {
                return rows.next() ? rows.getLong(1) : -1L;
            }
        });
    }

    /** Event ID to the position it was recorded at. */
    static Map<UUID, Long> seen(SqliteEventStore store) {
        return store.inReadTransaction(tx -> {
            Map<UUID, Long> seen = new HashMap<>();
            try (Statement s = tx.createStatement();
                    ResultSet rows = s.executeQuery("SELECT event_id, position FROM seen")) {
                while (rows.next()) {
                    seen.put(UUID.fromString(rows.getString(1)), rows.getLong(2));
                }
            }
            return seen;
        });
    }
}
