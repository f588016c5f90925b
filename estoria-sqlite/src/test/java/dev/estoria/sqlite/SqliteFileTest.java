package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.sqlite.SqliteFileException.Problem;
import dev.estoria.typeid.TypeId;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Opening files: creation, the recorded schema version, and refusal of files that are not usable. */
class SqliteFileTest {

    @TempDir
    Path directory;

    private final TypeId stream = TypeId.newV4("account");

    @Test
    @DisplayName("a new file gets the schema, Estoria's application_id and the schema version, in WAL mode")
    void createsSchema() throws Exception {
        Path file = directory.resolve("new.db");
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            assertThat(store.file()).isEqualTo(file.toAbsolutePath());
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(intQuery(c, "PRAGMA application_id")).isEqualTo(Schema.APPLICATION_ID).isEqualTo(0x45535452);
            assertThat(intQuery(c, "PRAGMA user_version")).isEqualTo(Schema.CURRENT_VERSION).isEqualTo(4);
            assertThat(stringQuery(c, "PRAGMA journal_mode")).isEqualTo("wal");
            assertThat(tables(c)).contains("events", "streams", "estoria_snapshots", "estoria_checkpoints", "estoria_leases",
                    "estoria_members");
        }
    }

    @Test
    @DisplayName("reopening a file keeps its events, and appends continue after them")
    void reopenKeepsEvents() {
        Path file = directory.resolve("events.db");
        List<Event> first;
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            first = store.appendStream(stream, events(3));
        }
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            assertThat(read(store, stream)).containsExactlyElementsOf(first);
            List<Event> more = store.appendStream(stream, events(1), AppendStreamOptions.expectingVersion(3));
            assertThat(more.get(0).streamVersion()).isEqualTo(4);
            assertThat(more.get(0).globalPosition()).hasValue(4);
        }
    }

    @Test
    @DisplayName("an empty file and an empty SQLite database become new stores")
    void adoptsEmptyFiles() throws Exception {
        Path empty = Files.createFile(directory.resolve("empty.db"));
        try (SqliteEventStore store = SqliteEventStore.open(empty)) {
            store.appendStream(stream, events(1));
        }
        Path blank = directory.resolve("blank.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + blank);
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE scratch (x)");
            s.execute("DROP TABLE scratch");
        }
        try (SqliteEventStore store = SqliteEventStore.open(blank)) {
            assertThat(store.appendStream(stream, events(2))).hasSize(2);
        }
    }

    @Test
    @DisplayName("a text file is refused as not SQLite and left untouched")
    void refusesTextFile() throws Exception {
        Path file = directory.resolve("notes.db");
        Files.writeString(file, "These are my notes, not a database.\n".repeat(20));
        assertRefusedUntouched(file, SqliteOptions.defaults(), Problem.NOT_SQLITE, "not a SQLite database");
        assertThat(listing()).containsExactly("notes.db");
    }

    @Test
    @DisplayName("a SQLite file with other tables is refused as not Estoria's and left untouched")
    void refusesForeignDatabase() throws Exception {
        Path file = directory.resolve("other.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement()) {
            s.execute("CREATE TABLE customers (id INTEGER PRIMARY KEY, name TEXT)");
            s.execute("INSERT INTO customers (name) VALUES ('Ada'), ('Grace')");
        }
        assertRefusedUntouched(file, SqliteOptions.defaults(), Problem.NOT_ESTORIA, "does not belong to Estoria");
        assertThat(listing()).containsExactly("other.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(tables(c)).containsExactly("customers");
        }
    }

    @Test
    @DisplayName("a SQLite file with another application_id is refused even without tables")
    void refusesOtherApplication() throws Exception {
        Path file = directory.resolve("app.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement()) {
            s.execute("PRAGMA application_id = 1234");
        }
        assertRefusedUntouched(file, SqliteOptions.defaults(), Problem.NOT_ESTORIA, "application_id 0x000004D2");
    }

    @Test
    @DisplayName("a file written by a newer schema version is refused and left untouched")
    void refusesNewerSchema() throws Exception {
        Path file = estoriaFile("newer.db", 3);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement()) {
            s.execute("PRAGMA user_version = 7");
        }
        assertRefusedUntouched(file, SqliteOptions.defaults(), Problem.NEWER_SCHEMA, "schema version 7");
    }

    @Test
    @DisplayName("a file whose schema page is damaged is refused as corrupt and left untouched")
    void refusesDamagedSchemaPage() throws Exception {
        Path file = estoriaFile("damaged.db", 50);
        overwrite(file, 100, 3000, 42);
        assertRefusedUntouched(file, SqliteOptions.defaults(), Problem.CORRUPT, "damaged");
    }

    @Test
    @DisplayName("a truncated file is refused as corrupt and left untouched")
    void refusesTruncatedFile() throws Exception {
        Path file = estoriaFile("truncated.db", 2000);
        long size = Files.size(file);
        assertThat(size).isGreaterThan(20 * 4096);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(size / 2);
        }
        assertRefusedUntouched(file, SqliteOptions.defaults(), Problem.CORRUPT, "damaged");
    }

    @Test
    @DisplayName("a file cut inside the SQLite header is refused as corrupt")
    void refusesTruncatedHeader() throws Exception {
        Path file = directory.resolve("short.db");
        Files.write(file, "SQLite format 3\0 and then nothing".getBytes(StandardCharsets.US_ASCII));
        assertRefusedUntouched(file, SqliteOptions.defaults(), Problem.CORRUPT, "header is truncated");
    }

    @Test
    @DisplayName("a damaged page the default open does not touch is found by the integrity check on open")
    void integrityCheckFindsDamagedDataPage() throws Exception {
        Path original = estoriaFile("pages.db", 2000);
        long pages = Files.size(original) / 4096;
        // Find a page in the middle whose damage the cheap default checks do not notice (they only
        // touch the header, the schema and the ends of each b-tree).
        for (long page = pages / 2; page < pages - 1; page++) {
            Path probe = directory.resolve("probe-" + page + ".db");
            Files.copy(original, probe);
            overwrite(probe, page * 4096 + 8, 4000, page);
            boolean opensByDefault;
            try (SqliteEventStore store = SqliteEventStore.open(probe)) {
                opensByDefault = true;
            } catch (SqliteFileException e) {
                opensByDefault = false;
            }
            if (opensByDefault) {
                Path damaged = directory.resolve("damaged-" + page + ".db");
                Files.copy(original, damaged);
                overwrite(damaged, page * 4096 + 8, 4000, page);
                assertRefusedUntouched(damaged, SqliteOptions.defaults().withIntegrityCheckOnOpen(true),
                        Problem.CORRUPT, "damaged-" + page + ".db");
                return;
            }
        }
        throw new AssertionError("every damaged page was already found by the default open");
    }

    @Test
    @DisplayName("a missing directory or a directory in place of the file is refused clearly")
    void refusesUnopenablePaths() {
        Path missing = directory.resolve("no-such-dir").resolve("events.db");
        assertThatThrownBy(() -> SqliteEventStore.open(missing))
                .isInstanceOfSatisfying(SqliteFileException.class, e -> {
                    assertThat(e.problem()).isEqualTo(Problem.CANNOT_OPEN);
                    assertThat(e.file()).isEqualTo(missing.toAbsolutePath());
                })
                .hasMessageContaining(missing.toAbsolutePath().toString())
                .hasMessageContaining("does not exist");
        assertThat(Files.exists(missing.getParent())).isFalse();
        assertThatThrownBy(() -> SqliteEventStore.open(directory))
                .isInstanceOfSatisfying(SqliteFileException.class,
                        e -> assertThat(e.problem()).isEqualTo(Problem.CANNOT_OPEN))
                .hasMessageContaining("is a directory");
    }

    @Test
    @DisplayName("options refuse nonsense values with the field named")
    void optionsValidate() {
        assertThatThrownBy(() -> SqliteOptions.defaults().withBusyTimeout(java.time.Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("busyTimeout");
        assertThatThrownBy(() -> SqliteOptions.defaults().withReadConnections(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("readConnections");
        assertThatThrownBy(() -> SqliteOptions.defaults().withDurability(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("durability");
        SqliteOptions relaxed = SqliteOptions.defaults().withDurability(SqliteOptions.Durability.NORMAL);
        assertThat(relaxed.durability()).isEqualTo(SqliteOptions.Durability.NORMAL);
        assertThat(relaxed.busyTimeout()).isEqualTo(SqliteOptions.defaults().busyTimeout());
    }

    // ---------------------------------------------------------------- helpers

    private void assertRefusedUntouched(Path file, SqliteOptions options, Problem problem, String detail)
            throws IOException {
        byte[] before = Files.readAllBytes(file);
        assertThatThrownBy(() -> SqliteEventStore.open(file, options))
                .isInstanceOfSatisfying(SqliteFileException.class, e -> {
                    assertThat(e.problem()).isEqualTo(problem);
                    assertThat(e.file()).isEqualTo(file.toAbsolutePath());
                })
                .hasMessageContaining(file.toAbsolutePath().toString())
                .hasMessageContaining(detail);
        assertThat(Files.readAllBytes(file)).as("bytes of %s after the refusal", file).isEqualTo(before);
    }

    /** An Estoria file holding {@code events} single-event appends, closed (so fully checkpointed). */
    private Path estoriaFile(String name, int events) {
        Path file = directory.resolve(name);
        try (SqliteEventStore store = SqliteEventStore.open(file,
                SqliteOptions.defaults().withDurability(SqliteOptions.Durability.NORMAL))) {
            List<WritableEvent> batch = new ArrayList<>();
            for (int i = 0; i < events; i++) {
                batch.add(WritableEvent.json("opened", "{\"n\":" + i + ",\"pad\":\"" + "x".repeat(60) + "\"}"));
                if (batch.size() == 100 || i == events - 1) {
                    store.appendStream(TypeId.newV4("account"), batch);
                    batch.clear();
                }
            }
        }
        return file;
    }

    private static void overwrite(Path file, long offset, int length, long seed) throws IOException {
        byte[] garbage = new byte[length];
        new Random(seed).nextBytes(garbage);
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.seek(offset);
            raf.write(garbage);
        }
    }

    private List<String> listing() throws IOException {
        try (Stream<Path> files = Files.list(directory)) {
            return files.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    static List<WritableEvent> events(int n) {
        List<WritableEvent> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(WritableEvent.json("opened", "{\"i\":" + i + "}"));
        }
        return list;
    }

    static List<Event> read(SqliteEventStore store, TypeId stream) {
        try (StreamIterator it = store.readStream(stream)) {
            return it.toList();
        }
    }

    private static List<String> tables(Connection c) throws SQLException {
        List<String> names = new ArrayList<>();
        try (Statement s = c.createStatement();
                ResultSet rows = s.executeQuery(
                        "SELECT name FROM sqlite_schema WHERE type = 'table' AND name NOT LIKE 'sqlite%' ORDER BY name")) {
            while (rows.next()) {
                names.add(rows.getString(1));
            }
        }
        return names;
    }

    static int intQuery(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery(sql)) {
            rows.next();
            return rows.getInt(1);
        }
    }

    static String stringQuery(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rows = s.executeQuery(sql)) {
            rows.next();
            return rows.getString(1);
        }
    }

    @Test
    @DisplayName("the migration judges the file again under the write lock: one changed since the inspection is refused untouched")
    void migrationRechecksUnderTheWriteLock() throws Exception {
        Path file = directory.resolve("raced.db");
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement()) {
            // What another application could do between Schema.inspect and Schema.migrate.
            s.execute("PRAGMA application_id = 1234");
        }
        byte[] before = Files.readAllBytes(file);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThatThrownBy(() -> Schema.migrate(file, c))
                    .isInstanceOfSatisfying(SqliteFileException.class,
                            e -> assertThat(e.problem()).isEqualTo(Problem.NOT_ESTORIA));
        }
        assertThat(Files.readAllBytes(file)).isEqualTo(before);
    }
}
