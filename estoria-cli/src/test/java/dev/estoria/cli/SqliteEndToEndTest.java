package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.projection.ProjectionId;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.sqlite.SqliteCheckpointStore;
import dev.estoria.sqlite.SqliteEventStore;
import dev.estoria.sqlite.SqliteSnapshotStore;
import dev.estoria.typeid.TypeId;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The commands against the real file store: every run opens the file afresh, as separate processes would. */
class SqliteEndToEndTest {

    static final String STREAM = "account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a";

    @TempDir
    Path dir;

    static CliHarness.Result runWithStdin(String stdin, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliEnvironment environment = new CliEnvironment(StoreOpeners.standard("estoria"),
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)), false, false, "estoria",
                onInterrupt -> () -> { }, false, java.time.Clock.systemUTC());
        int code = EstoriaCli.run(environment, new PrintWriter(out), new PrintWriter(err), args);
        return new CliHarness.Result(code, out.toString(), err.toString());
    }

    static CliHarness.Result run(String... args) {
        return runWithStdin("", args);
    }

    @Test
    void eventsPersistInTheFileFromOneRunToTheNext() {
        String db = dir.resolve("bank.db").toString();

        assertThat(run("append", STREAM, "--type", "account_opened", "--data", "{\"owner\":\"Ada\"}", "--db", db)
                .exitCode()).isZero();
        assertThat(runWithStdin("{\"amount\":\"5.00\"}\n{\"amount\":\"7.00\"}\n",
                "append", STREAM, "--type", "funds_deposited", "--expect-version", "1", "--db", db).exitCode()).isZero();
        CliHarness.Result read = run("read", STREAM, "--db", db);

        assertThat(read.exitCode()).as(read.err()).isZero();
        assertThat(read.outLines()).hasSize(3);
        assertThat(read.outLines().get(2)).contains("\"streamVersion\":3", "\"data\":{\"amount\":\"7.00\"}");
        assertThat(run("streams", "--db", db).out()).isEqualTo("{\"streamId\":\"" + STREAM + "\",\"version\":3}\n");
        assertThat(run("append", STREAM, "--type", "t", "--data", "{}", "--expect-version", "1", "--db", db).err())
                .isEqualTo("error: stream version mismatch on " + STREAM + ": expected version 1, actual version 3\n");
    }

    @Test
    void commandsThatOnlyReadRunWhileAnotherProcessHoldsTheWriteLock() throws Exception {
        String db = dir.resolve("busy.db").toString();
        assertThat(run("append", STREAM, "--type", "account_opened", "--data", "{}", "--db", db).exitCode()).isZero();

        try (Connection otherProcess = DriverManager.getConnection("jdbc:sqlite:" + db);
                Statement other = otherProcess.createStatement()) {
            // A long write transaction of another process (a projection's batch, a big import).
            other.execute("BEGIN IMMEDIATE");
            CliHarness.Result read = run("read", STREAM, "--db", db);
            assertThat(read.exitCode()).as(read.err()).isZero();
            assertThat(read.outLines()).hasSize(1);
            other.execute("ROLLBACK");
        }
    }

    @Test
    void anAppendExpectingAnExistingStreamCreatesNoFileWhenThereIsNone() {
        Path db = dir.resolve("typo.db");

        CliHarness.Result exists = run("append", STREAM, "--type", "t", "--data", "{}", "--expect-exists", "--db",
                db.toString());
        CliHarness.Result version = run("append", STREAM, "--type", "t", "--data", "{}", "--expect-version", "2",
                "--db", db.toString());

        assertThat(exists.exitCode()).isEqualTo(ExitCodes.VERSION_MISMATCH);
        assertThat(exists.err()).isEqualTo("error: stream version mismatch on " + STREAM
                + ": expected an existing stream, the stream does not exist (version 0)\n");
        assertThat(version.exitCode()).isEqualTo(ExitCodes.VERSION_MISMATCH);
        assertThat(version.err()).contains("expected version 2, the stream does not exist (version 0)");
        assertThat(db).doesNotExist();

        // Version 0 is what a missing stream has, so that expectation creates the file as usual.
        assertThat(run("append", STREAM, "--type", "t", "--data", "{}", "--expect-version", "0", "--db",
                db.toString()).exitCode()).isZero();
        assertThat(run("append", STREAM, "--type", "t", "--data", "{}", "--expect-exists", "--db",
                db.toString()).exitCode()).isZero();
    }

    @Test
    void exportAndImportCopyAFileIdempotently() throws Exception {
        String source = dir.resolve("source.db").toString();
        String copy = dir.resolve("copy.db").toString();
        assertThat(run("demo", "--db", source).exitCode()).isZero();
        Path export = dir.resolve("backup.ndjson");
        Files.writeString(export, run("export", "--db", source).out());

        CliHarness.Result first = run("import", export.toString(), "--db", copy);
        CliHarness.Result second = run("import", export.toString(), "--db", copy);

        assertThat(first.out()).endsWith(": 13 written, 0 already present\n");
        assertThat(second.out()).endsWith(": 0 written, 13 already present\n");
        String withoutTimes = "\"timestamp\":\"[^\"]*\"";
        assertThat(run("export", "--db", copy).out().replaceAll(withoutTimes, ""))
                .isEqualTo(Files.readString(export).replaceAll(withoutTimes, ""));
    }

    @Test
    void projectionsShowsTheCheckpointsKeptInTheFile() {
        String db = dir.resolve("bank.db").toString();
        assertThat(run("demo", "--db", db).exitCode()).isZero();
        try (SqliteEventStore store = SqliteEventStore.open(Path.of(db))) {
            SqliteCheckpointStore checkpoints = SqliteCheckpointStore.of(store);
            checkpoints.save(ProjectionId.of("balances", 1), 10);
            checkpoints.save(ProjectionId.of("audit", 3), 13);
        }

        CliHarness.Result result = run("projections", "--db", db);

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.outLines()).hasSize(2);
        assertThat(result.outLines().get(0)).contains("\"projection\":\"audit_v3\"", "\"position\":13,\"lag\":0,",
                "\"state\":\"live\"");
        assertThat(result.outLines().get(1)).contains("\"projection\":\"balances_v1\"", "\"position\":10,\"lag\":3,");
    }

    @Test
    void deletingAStreamDeletesTheSnapshotsKeptInTheFileForItAndTruncatingKeepsThem() {
        String db = dir.resolve("snapshots.db").toString();
        TypeId truncated = TypeId.parse("account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7b");
        for (String stream : List.of(STREAM, truncated.toString())) {
            assertThat(run("append", stream, "--type", "account_opened", "--data", "{}", "--db", db).exitCode()).isZero();
            assertThat(run("append", stream, "--type", "funds_deposited", "--data", "{}", "--db", db).exitCode()).isZero();
        }
        try (SqliteEventStore store = SqliteEventStore.open(Path.of(db))) {
            for (TypeId id : List.of(TypeId.parse(STREAM), truncated)) {
                SqliteSnapshotStore.of(store).write(new Snapshot(id, 2, Instant.now(), new byte[] {1}, ""));
            }
        }

        CliHarness.Result deleted = run("delete", STREAM, "--db", db);
        CliHarness.Result truncation = run("delete", truncated.toString(), "--to-version", "1", "--db", db);

        assertThat(deleted.exitCode()).as(deleted.err()).isZero();
        assertThat(deleted.out()).isEqualTo("deleted stream " + STREAM + " and its snapshots\n");
        assertThat(truncation.exitCode()).as(truncation.err()).isZero();
        try (SqliteEventStore store = SqliteEventStore.open(Path.of(db))) {
            assertThat(SqliteSnapshotStore.of(store).read(TypeId.parse(STREAM))).isEmpty();
            assertThat(SqliteSnapshotStore.of(store).read(truncated)).as("kept by the truncation").isPresent();
        }
    }

    @Test
    void deletingAStreamDeletesTheSnapshotsAnEventStreamSnapshotStoreKeptInTheFile() {
        String db = dir.resolve("parallel.db").toString();
        assertThat(run("append", STREAM, "--type", "account_opened", "--data", "{}", "--db", db).exitCode()).isZero();
        try (SqliteEventStore store = SqliteEventStore.open(Path.of(db))) {
            EventStreamSnapshotStore.create(store).write(new Snapshot(TypeId.parse(STREAM), 1, Instant.now(),
                    new byte[] {1}, ""));
        }

        CliHarness.Result deleted = run("delete", STREAM, "--db", db);

        assertThat(deleted.exitCode()).as(deleted.err()).isZero();
        assertThat(deleted.out()).isEqualTo("deleted stream " + STREAM + " and its snapshots\n");
        try (SqliteEventStore store = SqliteEventStore.open(Path.of(db))) {
            assertThat(EventStreamSnapshotStore.create(store).read(TypeId.parse(STREAM))).isEmpty();
        }
        assertThat(run("streams", "--db", db).out()).as("no estoria.snapshot.account_... stream left").isEmpty();
    }

    @Test
    void commandsThatOnlyReadDoNotCreateAFile() {
        Path db = dir.resolve("absent.db");

        CliHarness.Result result = run("read-all", "--db", db.toString());

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).startsWith("error: no database at " + db);
        assertThat(db).doesNotExist();
    }

    @Test
    void theHintForAMissingStoreNamesTheCommandAsTyped() {
        Path db = dir.resolve("absent.db");
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliEnvironment environment = new CliEnvironment(StoreOpeners.standard("./estoria"),
                new ByteArrayInputStream(new byte[0]), false, false, "./estoria",
                onInterrupt -> () -> { }, false, java.time.Clock.systemUTC());

        int code = EstoriaCli.run(environment, new PrintWriter(out), new PrintWriter(err), "streams", "--db", db.toString());

        assertThat(code).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(err.toString()).isEqualTo("error: no database at " + db
                + " (create one with './estoria demo' or './estoria append', or pass --db FILE)\n");
    }

    @Test
    void commandsThatOnlyReadLeaveAnEmptyFileEmpty() throws Exception {
        Path db = dir.resolve("empty.db");
        Files.createFile(db);

        CliHarness.Result result = run("streams", "--db", db.toString());

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).startsWith("error: " + db + " is empty, not an Estoria database");
        assertThat(Files.size(db)).isZero();
        // A command that writes takes an empty file as a new database, as SQLite does.
        assertThat(run("append", STREAM, "--type", "t", "--data", "{}", "--db", db.toString()).exitCode()).isZero();
        assertThat(run("streams", "--db", db.toString()).outLines()).hasSize(1);
    }

    @Test
    void aFileThatIsNotAnEstoriaDatabaseIsBadInputAndLeftAlone() throws Exception {
        Path notes = dir.resolve("notes.txt");
        Files.writeString(notes, "shopping list\n");

        CliHarness.Result result = run("append", STREAM, "--type", "t", "--data", "{}", "--db", notes.toString());

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).startsWith("error: cannot open " + notes + " as an Estoria event store");
        assertThat(Files.readString(notes)).isEqualTo("shopping list\n");
    }

    @Test
    void aMissingDirectoryIsBadInput() {
        Path db = dir.resolve("no/such/dir/x.db");

        CliHarness.Result result = run("demo", "--db", db.toString());

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).isEqualTo("error: cannot create " + db + ": directory " + db.getParent()
                + " does not exist\n");
    }
}
