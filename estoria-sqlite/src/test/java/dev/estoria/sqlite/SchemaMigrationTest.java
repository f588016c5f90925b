package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.Lease;
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
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opening a file of an older schema version migrates it in place to the current version, through
 * every version in between, and keeps everything in it.
 *
 * <p>The fixture {@code schema-v1.sqlite} was written by {@link SqliteEventStore} at schema version
 * 1 and closed (so fully checkpointed into the main file). It holds: {@code
 * account_00000000-0000-4000-8000-000000000001} with five "deposited" events (IDs ...101 to
 * ...105, metadata {@code seq}), truncated to version 2, so versions 3 to 5 remain at positions 3
 * to 5; {@code order_...002} with "placed" (bytes 00 01 02 FF) and "shipped" (empty, no content
 * type) at positions 6 and 7; {@code account_...003}, written at position 8 and then deleted; and a
 * snapshot of the first account at version 5 kept by {@link EventStreamSnapshotStore} at position
 * 9.
 *
 * <p>The fixture {@code schema-v2.sqlite} was written by {@link SqliteEventStore} at schema version
 * 2 and closed. It holds {@code account_...001} with three "deposited" events (IDs ...101 to ...103,
 * metadata {@code seq} 1 to 3, JSON {@code {"amount":n}}) at positions 1 to 3; {@code order_...002}
 * with "placed" (bytes 00 01 02 FF, ID ...201) at position 4; a {@link SqliteSnapshotStore} snapshot
 * of the account at version 3 (bytes 01 02 03, taken 2026-11-27T12:00:00.123456Z); and the {@link
 * SqliteCheckpointStore} checkpoint {@code balances} version 1 at position 4.
 *
 * <p>The fixture {@code schema-v3.sqlite} was written by {@link SqliteEventStore} at schema version
 * 3 and closed. It holds {@code account_...001} with three "deposited" events (IDs ...101 to ...103,
 * metadata {@code seq} 1 to 3) at positions 1 to 3; a snapshot of it at version 3 (bytes 01 02 03,
 * content type {@code application/json}, taken 2026-11-28T12:00:00.123456789Z), from before
 * snapshots named their event; the checkpoint {@code balances} version 1 at position 3; and worker
 * {@code w1}'s lease on partition 0 of {@code balances_v1}, expiring in the year 2126.
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

    /** A copy of the fixture {@code resource} in the test's directory. */
    private Path copyOf(String resource) throws Exception {
        Path file = directory.resolve(resource + ".db");
        try (InputStream in = SchemaMigrationTest.class.getResourceAsStream(resource)) {
            assertThat(in).as("the %s fixture", resource).isNotNull();
            Files.copy(in, file);
        }
        return file;
    }

    private Path fixture() throws Exception {
        Path file = copyOf("schema-v1.sqlite");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(SqliteFileTest.intQuery(c, "PRAGMA user_version")).isEqualTo(1);
            assertThat(tables(c)).containsExactly("events", "streams");
        }
        return file;
    }

    private Path fixtureV2() throws Exception {
        Path file = copyOf("schema-v2.sqlite");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(SqliteFileTest.intQuery(c, "PRAGMA user_version")).isEqualTo(2);
            assertThat(tables(c)).containsExactly("estoria_checkpoints", "estoria_snapshots", "events", "streams");
        }
        return file;
    }

    private static final List<String> CURRENT_TABLES = List.of("estoria_checkpoints", "estoria_leases",
            "estoria_members", "estoria_snapshots", "events", "streams");

    @Test
    @DisplayName("a version 1 file opens, is migrated in place to the current version, and keeps every event, tip and position")
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
            assertThat(SqliteLeaseStore.of(store).tryAcquire("balances_v1", 0, "w", Duration.ofMinutes(1))).isPresent();
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(SqliteFileTest.intQuery(c, "PRAGMA user_version")).isEqualTo(Schema.CURRENT_VERSION);
            assertThat(SqliteFileTest.intQuery(c, "PRAGMA application_id")).isEqualTo(Schema.APPLICATION_ID);
            assertThat(tables(c)).containsExactlyElementsOf(CURRENT_TABLES);
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
    @DisplayName("a version 2 file opens, is migrated in place to the current version, and keeps its events, snapshot and checkpoint")
    void migratesVersionTwo() throws Exception {
        Path file = fixtureV2();
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            List<Event> log;
            try (StreamIterator all = store.readAll()) {
                log = all.toList();
            }
            assertThat(log).extracting(e -> e.globalPosition().orElseThrow()).containsExactly(1L, 2L, 3L, 4L);
            assertThat(log.subList(0, 3)).extracting(e -> e.id().uuid()).containsExactly(id(101), id(102), id(103));
            assertThat(log.get(1).metadata()).isEqualTo(Map.of("seq", "2"));
            assertThat(new String(log.get(2).data(), StandardCharsets.UTF_8)).isEqualTo("{\"amount\":3}");
            assertThat(log.get(3).streamId()).isEqualTo(ORDER);
            assertThat(log.get(3).id().uuid()).isEqualTo(id(201));
            assertThat(log.get(3).data()).containsExactly(0, 1, 2, 0xFF);
            assertThat(store.listStreams()).extracting(StreamInfo::streamId, StreamInfo::version).containsExactly(
                    org.assertj.core.groups.Tuple.tuple(ACCOUNT, 3L), org.assertj.core.groups.Tuple.tuple(ORDER, 1L));
            Snapshot snapshot = SqliteSnapshotStore.of(store).read(ACCOUNT).orElseThrow();
            assertThat(snapshot.version()).isEqualTo(3);
            assertThat(snapshot.data()).containsExactly(1, 2, 3);
            assertThat(snapshot.timestamp()).isEqualTo(Instant.parse("2026-11-27T12:00:00.123456Z"));
            SqliteCheckpointStore checkpoints = SqliteCheckpointStore.of(store);
            assertThat(checkpoints.load(ProjectionId.of("balances", 1)).orElseThrow().position()).isEqualTo(4);

            assertThat(store.appendStream(ACCOUNT, List.of(WritableEvent.json("deposited", "{}"))).get(0).globalPosition())
                    .hasValue(5);
            // The version 3 tables work at once.
            SqliteLeaseStore leases = SqliteLeaseStore.of(store);
            Lease lease = leases.tryAcquire("balances_v1", 2, "w1", Duration.ofMinutes(1)).orElseThrow();
            assertThat(leases.tryAcquire("balances_v1", 2, "w2", Duration.ofMinutes(1))).isEmpty();
            assertThat(leases.heartbeat("balances_v1", "w1", Duration.ofMinutes(1))).containsExactly("w1");
            assertThat(leases.leases("balances_v1")).containsExactly(lease);
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(SqliteFileTest.intQuery(c, "PRAGMA user_version")).isEqualTo(Schema.CURRENT_VERSION);
            assertThat(tables(c)).containsExactlyElementsOf(CURRENT_TABLES);
            assertThat(SqliteFileTest.stringQuery(c, "PRAGMA integrity_check")).isEqualTo("ok");
        }
        // The leases survive reopening.
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            assertThat(SqliteLeaseStore.of(store).leases("balances_v1")).extracting(Lease::owner).containsExactly("w1");
        }
    }

    @Test
    @DisplayName("a version 3 file opens, is migrated in place, keeps its snapshot (naming no event) and stores snapshots' events from then on")
    void migratesVersionThree() throws Exception {
        Path file = copyOf("schema-v3.sqlite");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(SqliteFileTest.intQuery(c, "PRAGMA user_version")).isEqualTo(3);
        }
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            try (StreamIterator all = store.readAll()) {
                assertThat(all.toList()).extracting(e -> e.id().uuid()).containsExactly(id(101), id(102), id(103));
            }
            SqliteSnapshotStore snapshots = SqliteSnapshotStore.of(store);
            Instant takenAt = Instant.parse("2026-11-28T12:00:00.123456789Z");
            assertThat(snapshots.read(ACCOUNT)).contains(
                    new Snapshot(ACCOUNT, 3, takenAt, new byte[] {1, 2, 3}, "application/json"));
            assertThat(SqliteCheckpointStore.of(store).load(ProjectionId.of("balances", 1)).orElseThrow().position())
                    .isEqualTo(3);
            assertThat(SqliteLeaseStore.of(store).leases("balances_v1")).extracting(Lease::owner).containsExactly("w1");

            Snapshot named = new Snapshot(ACCOUNT, 4, takenAt.plusSeconds(60), new byte[] {4}, "application/json",
                    id(104));
            snapshots.write(named);
            assertThat(snapshots.read(ACCOUNT)).contains(named);
            assertThat(snapshots.read(ACCOUNT, 3).orElseThrow().eventId()).isNull();
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(SqliteFileTest.intQuery(c, "PRAGMA user_version")).isEqualTo(Schema.CURRENT_VERSION);
            assertThat(tables(c)).containsExactlyElementsOf(CURRENT_TABLES);
            assertThat(SqliteFileTest.stringQuery(c, "PRAGMA integrity_check")).isEqualTo("ok");
        }
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            assertThat(SqliteSnapshotStore.of(store).read(ACCOUNT).orElseThrow().eventId()).isEqualTo(id(104));
        }
    }

    @Test
    @DisplayName("a migration from version 2 that fails leaves the file at version 2, whole")
    void failedMigrationLeavesVersionTwo() throws Exception {
        Path file = fixtureV2();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE estoria_members (x)");
        }
        assertThatThrownBy(() -> SqliteEventStore.open(file))
                .isInstanceOfSatisfying(SqliteFileException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.CANNOT_OPEN))
                .hasMessageContaining("estoria_members");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            assertThat(SqliteFileTest.intQuery(c, "PRAGMA user_version")).isEqualTo(2);
            assertThat(tables(c)).containsExactly("estoria_checkpoints", "estoria_members", "estoria_snapshots",
                    "events", "streams");
            s.execute("DROP TABLE estoria_members");
        }
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            assertThat(SqliteCheckpointStore.of(store).load(ProjectionId.of("balances", 1)).orElseThrow().position())
                    .isEqualTo(4);
        }
    }

    @Test
    @DisplayName("a version 3 file missing a version 3 table is refused as corrupt")
    void incompleteVersionThreeRefused() throws Exception {
        Path file = directory.resolve("v3.db");
        SqliteEventStore.open(file).close();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file); Statement s = c.createStatement()) {
            s.execute("DROP TABLE estoria_leases");
        }
        assertThatThrownBy(() -> SqliteEventStore.open(file))
                .isInstanceOfSatisfying(SqliteFileException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.CORRUPT))
                .hasMessageContaining("estoria_leases");
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
