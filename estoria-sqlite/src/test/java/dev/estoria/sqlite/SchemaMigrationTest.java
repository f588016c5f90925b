package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.ProjectionId;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.sqlite.SqliteFileException.Problem;
import dev.estoria.typeid.TypeId;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening a file of schema version 1, written by the store before version 2 existed, migrates it in
 * place to version 2 and keeps everything in it.
 *
 * <p>The fixture {@code schema-v1.sqlite} was written by {@link SqliteEventStore} at schema version
 * 1 and closed (so fully checkpointed into the main file). It holds: {@code
 * account_00000000-0000-4000-8000-000000000001} with five "deposited" events (IDs ...101 to
 * ...105, metadata {@code seq}), truncated to version 2, so versions 3 to 5 remain at positions 3
 * to 5; {@code order_...002} with "placed" (bytes 00 01 02 FF) and "shipped" (empty, no content
 * type) at positions 6 and 7; {@code account_...003}, written at position 8 and then deleted; and a
 * snapshot of the first account at version 5 kept by {@link EventStreamSnapshotStore} at position
 * 9.
 */
class SchemaMigrationTest {

    @TempDir
    Path directory;

    private static final TypeId ACCOUNT = TypeId.of("account", id(1));
    private static final TypeId ORDER = TypeId.of("order", id(2));
    private static final TypeId DELETED = TypeId.of("account", id(3));

    private static UUID id(int n) {
        return UUID.fromString(String.format("00000000-0000-4000-8000-%012d", n));
    }

    private Path fixture() throws Exception {
        Path file = directory.resolve("v1.db");
        try (InputStream in = SchemaMigrationTest.class.getResourceAsStream("schema-v1.sqlite")) {
            assertThat(in).as("the schema-v1.sqlite fixture").isNotNull();
            Files.copy(in, file);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(SqliteFileTest.intQuery(c, "PRAGMA user_version")).isEqualTo(1);
            assertThat(tables(c)).containsExactly("events", "streams");
        }
        return file;
    }

    @Test
    @DisplayName("a version 1 file opens, is migrated in place to version 2, and keeps every event, tip and position")
    void migratesVersionOne() throws Exception {
        Path file = fixture();
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            List<Event> log;
            try (StreamIterator all = store.readAll()) {
                log = all.toList();
            }
            assertThat(log).extracting(e -> e.globalPosition().orElseThrow()).containsExactly(3L, 4L, 5L, 6L, 7L, 9L);
            assertThat(log.subList(0, 3)).allSatisfy(e -> assertThat(e.streamId()).isEqualTo(ACCOUNT));
            assertThat(log.subList(0, 3)).extracting(Event::streamVersion).containsExactly(3L, 4L, 5L);
            assertThat(log.subList(0, 3)).extracting(e -> e.id().uuid()).containsExactly(id(103), id(104), id(105));
            assertThat(log.get(0).metadata()).isEqualTo(Map.of("seq", "2"));
            assertThat(new String(log.get(2).data(), StandardCharsets.UTF_8)).isEqualTo("{\"amount\":5}");
            assertThat(log.get(3).data()).containsExactly(0, 1, 2, 0xFF);
            assertThat(log.get(4).data()).isEmpty();
            assertThat(log.get(4).contentType()).isEmpty();
            assertThat(store.listStreams()).extracting(StreamInfo::streamId, StreamInfo::version).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(ACCOUNT, 5L),
                    org.assertj.core.groups.Tuple.tuple(EventStreamSnapshotStore.snapshotStreamId(ACCOUNT), 1L),
                    org.assertj.core.groups.Tuple.tuple(ORDER, 2L));
            assertThat(EventStreamSnapshotStore.create(store).read(ACCOUNT).orElseThrow().version()).isEqualTo(5);

            // Appends continue after the old tip and above the old high-water mark (position 9).
            Event next = store.appendStream(ACCOUNT, List.of(WritableEvent.json("deposited", "{}"))).get(0);
            assertThat(next.streamVersion()).isEqualTo(6);
            assertThat(next.globalPosition()).hasValue(10);
            assertThat(store.appendStream(DELETED, List.of(WritableEvent.json("opened", "{}"))).get(0).streamVersion())
                    .isEqualTo(1);

            // The version 2 tables work at once.
            SqliteSnapshotStore snapshots = SqliteSnapshotStore.of(store);
            snapshots.write(new Snapshot(ACCOUNT, 6, Instant.parse("2026-11-27T13:00:00Z"), new byte[] {7}, "x"));
            assertThat(snapshots.read(ACCOUNT).orElseThrow().version()).isEqualTo(6);
            SqliteCheckpointStore checkpoints = SqliteCheckpointStore.of(store);
            checkpoints.save(ProjectionId.of("balances", 1), 10);
            assertThat(checkpoints.load(ProjectionId.of("balances", 1)).orElseThrow().position()).isEqualTo(10);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(SqliteFileTest.intQuery(c, "PRAGMA user_version")).isEqualTo(2);
            assertThat(SqliteFileTest.intQuery(c, "PRAGMA application_id")).isEqualTo(Schema.APPLICATION_ID);
            assertThat(tables(c)).containsExactly("estoria_checkpoints", "estoria_snapshots", "events", "streams");
            assertThat(SqliteFileTest.stringQuery(c, "PRAGMA integrity_check")).isEqualTo("ok");
        }
        // Reopening a migrated file changes nothing more.
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            assertThat(SqliteSnapshotStore.of(store).read(ACCOUNT).orElseThrow().data()).containsExactly(7);
        }
    }

    @Test
    @DisplayName("a migration that fails leaves the file at version 1, whole, and it still opens once the cause is gone")
    void failedMigrationLeavesVersionOne() throws Exception {
        Path file = fixture();
        // A table in Estoria's reserved name space makes the migration's CREATE TABLE fail midway.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE estoria_checkpoints (x)");
        }
        assertThatThrownBy(() -> SqliteEventStore.open(file))
                .isInstanceOfSatisfying(SqliteFileException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.CANNOT_OPEN))
                .hasMessageContaining("estoria_checkpoints");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            assertThat(SqliteFileTest.intQuery(c, "PRAGMA user_version")).isEqualTo(1);
            assertThat(tables(c)).containsExactly("estoria_checkpoints", "events", "streams");
            s.execute("DROP TABLE estoria_checkpoints");
        }
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            assertThat(store.listStreams()).hasSize(3);
        }
    }

    @Test
    @DisplayName("a version 1 file missing a version 1 table is refused as corrupt and left untouched")
    void incompleteVersionOneRefused() throws Exception {
        Path file = fixture();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("DROP TABLE streams");
        }
        byte[] before = Files.readAllBytes(file);
        assertThatThrownBy(() -> SqliteEventStore.open(file))
                .isInstanceOfSatisfying(SqliteFileException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.CORRUPT))
                .hasMessageContaining("version 1").hasMessageContaining("streams");
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }

    @Test
    @DisplayName("a version 2 file missing a version 2 table is refused as corrupt")
    void incompleteVersionTwoRefused() throws Exception {
        Path file = directory.resolve("v2.db");
        SqliteEventStore.open(file).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("DROP TABLE estoria_snapshots");
        }
        assertThatThrownBy(() -> SqliteEventStore.open(file))
                .isInstanceOfSatisfying(SqliteFileException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.CORRUPT))
                .hasMessageContaining("estoria_snapshots");
    }

    private static List<String> tables(Connection c) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT name FROM sqlite_schema WHERE type = 'table' "
                        + "AND name NOT LIKE 'sqlite%' ORDER BY name")) {
            while (rows.next()) {
                names.add(rows.getString(1));
            }
        }
        return names;
    }
}
