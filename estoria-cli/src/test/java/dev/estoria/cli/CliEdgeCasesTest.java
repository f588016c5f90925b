package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.projection.ProjectionId;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Edge cases of the command line: files and schemas that hold no store, values at the limits of
 * what the options accept, and output that must not leak or mangle what it shows.
 */
class CliEdgeCasesTest {

    static final String STREAM = "account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a";

    @TempDir
    Path dir;

    /** Runs a command with the real store openers (SQLite file / PostgreSQL). */
    static CliHarness.Result real(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CliEnvironment environment = new CliEnvironment(StoreOpeners.standard("estoria"),
                new ByteArrayInputStream(new byte[0]), false, false, "estoria",
                onInterrupt -> () -> { }, false, Clock.systemUTC());
        int code = EstoriaCli.run(environment, new PrintWriter(out), new PrintWriter(err), args);
        return new CliHarness.Result(code, out.toString(), err.toString());
    }

    /** A valid SQLite database file that holds no tables, as `sqlite3 x.db VACUUM` or any SQLite tool leaves it. */
    private Path blankSqliteFile(String name) throws Exception {
        Path db = dir.resolve(name);
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE t (x)");
            s.execute("DROP TABLE t");
        }
        assertThat(Files.size(db)).isPositive();
        return db;
    }

    private static List<String> tables(Path db) throws Exception {
        List<String> names = new ArrayList<>();
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + db); Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT name FROM sqlite_master WHERE type = 'table'")) {
            while (rows.next()) {
                names.add(rows.getString(1));
            }
        }
        return names;
    }

    // a command that only reads turns an existing SQLite file without a store into an Estoria
    // database (PostgreSQL refuses an existing schema without a store with exit code 1 and creates nothing).
    @Test
    void readOnlyCommandsRefuseABlankSqliteFileAndLeaveItUntouched() throws Exception {
        for (String command : List.of("streams", "read-all", "export", "projections")) {
            Path db = blankSqliteFile(command + ".db");

            CliHarness.Result result = real(command, "--db", db.toString());

            assertThat(result.exitCode()).as(command + ": " + result.out() + result.err()).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(tables(db)).as(command + " must not write Estoria's schema into the file").isEmpty();
        }
    }

    @Test
    void readAndDeleteOfABlankSqliteFileAreBadInputNotStreamNotFound() throws Exception {
        for (String[] command : List.of(new String[] {"read", STREAM}, new String[] {"delete", STREAM})) {
            Path db = blankSqliteFile(command[0] + ".db");

            CliHarness.Result result = real(command[0], command[1], "--db", db.toString());

            assertThat(result.exitCode()).as(command[0] + ": " + result.err()).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(tables(db)).as(command[0]).isEmpty();
        }
    }

    // README: "so a password in the URL is not printed"; the demo prints it in every "Try next" line.
    @Test
    void theDemoDoesNotPrintThePasswordOfThePostgresUrl() {
        CliHarness harness = new CliHarness();

        CliHarness.Result result = harness.run("demo", "--postgres",
                "jdbc:postgresql://db.example:5432/bank?user=app&password=hunter2&sslpassword=keysecret",
                "--schema", "bank");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).doesNotContain("hunter2").doesNotContain("keysecret").contains("password=...");
    }

    // --format table cuts long cells in the middle of a surrogate pair, printing a lone
    // surrogate (written as '?' by the UTF-8 stdout of the real command).
    @Test
    void tableCellsAreNotCutInsideASurrogatePair() {
        CliHarness harness = new CliHarness();
        // The cuts (57 characters of DATA, 29 of METADATA) fall between the two halves of an emoji.
        String data = "{\"k\":\"" + "a".repeat(50) + "\uD83D\uDE00\uD83D\uDE00\uD83D\uDE00\"}";
        String meta = "k=" + "b".repeat(26) + "\uD83D\uDE00\uD83D\uDE00";
        assertThat(harness.run("append", STREAM, "--type", "t", "--data", data, "--meta", meta).exitCode()).isZero();

        CliHarness.Result table = harness.run("read", STREAM, "--format", "table");

        assertThat(table.exitCode()).isZero();
        assertThat(unpairedSurrogates(table.out())).as(table.out()).isZero();
        // What the real command writes to stdout:
        String onStdout = new String(table.out().getBytes(StandardCharsets.UTF_8), StandardCharsets.UTF_8);
        assertThat(onStdout).isEqualTo(table.out());
    }

    private static int unpairedSurrogates(String s) {
        int count = 0;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                count++;
            }
        }
        return count;
    }

    // PostgreSQL refuses a stream type over 1,024 bytes as bad input (exit code 1), but only
    // after opening the store, which creates the schema and its tables: bad input wrote something.
    @Test
    void anAppendRefusedAsBadInputCreatesNoPostgresSchema() throws Exception {
        String schema = TestPostgres.freshSchema();
        try {
            CliHarness.Result result = real("append", "--new-stream", "s".repeat(1100), "--type", "t", "--data", "{}",
                    "--postgres", TestPostgres.url(), "--schema", schema);

            assertThat(result.exitCode()).as(result.err()).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(TestPostgres.schemaExists(schema)).as("schema created by refused input").isFalse();
        } finally {
            TestPostgres.dropSchema(schema);
        }
    }

    @Test
    void anImportRefusedAsBadInputCreatesNoPostgresSchema() throws Exception {
        String schema = TestPostgres.freshSchema();
        Path file = dir.resolve("long-type.ndjson");
        String longType = "s".repeat(1_100);
        Files.writeString(file, "{\"id\":\"t_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a\",\"type\":\"t\",\"streamId\":\""
                + longType + "_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7b\",\"contentType\":\"application/json\","
                + "\"metadata\":{},\"data\":{}}\n");
        try {
            CliHarness.Result result = real("import", file.toString(), "--postgres", TestPostgres.url(), "--schema", schema);

            assertThat(result.exitCode()).as(result.err()).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(result.err()).contains("line 1").contains("1100 bytes");
            assertThat(TestPostgres.schemaExists(schema)).as("schema created by refused input").isFalse();
        } finally {
            TestPostgres.dropSchema(schema);
        }
    }

    // Option values the parser accepts must not overflow later into an unexpected error.
    @Test
    void aTailIntervalBeyondADayIsBadInput() {
        CliHarness harness = new CliHarness();
        assertThat(harness.run("append", STREAM, "--type", "t", "--data", "{}").exitCode()).isZero();

        CliHarness.Result result = harness.run("tail", "--interval", "10000000000000");

        assertThat(result.exitCode()).as(result.err()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).contains("--interval").doesNotContain("unexpected");
    }

    @Test
    void theLargestLagCapIsAccepted() {
        CliHarness harness = new CliHarness();
        assertThat(harness.run("append", STREAM, "--type", "t", "--data", "{}").exitCode()).isZero();
        harness.checkpoints(StoreOptions.DEFAULT_DB).save(ProjectionId.of("balances", 1), 0);

        CliHarness.Result result = harness.run("projections", "--lag-cap", Long.toString(Long.MAX_VALUE));

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("\"lag\":1,\"lagCapped\":false");
    }
}
