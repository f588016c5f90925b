package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.postgres.PostgresCheckpointStore;
import dev.estoria.postgres.PostgresEventStore;
import dev.estoria.postgres.PostgresOptions;
import dev.estoria.projection.ProjectionId;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The commands against PostgreSQL ({@link TestPostgres}), each test in fresh schemas; every run
 * opens the store afresh, as separate processes would.
 */
class PostgresEndToEndTest {

    static final String STREAM = "account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a";

    final String schema = TestPostgres.freshSchema();
    final List<String> schemas = new ArrayList<>(List.of(schema));
    final List<Runnable> interruptHandlers = new CopyOnWriteArrayList<>();

    @TempDir
    Path dir;

    @AfterEach
    void dropSchemas() throws Exception {
        for (String s : schemas) {
            TestPostgres.dropSchema(s);
        }
    }

    /** Runs a command with the real store openers and returns its exit code. */
    int execute(PrintWriter out, PrintWriter err, String... args) {
        CliEnvironment environment = new CliEnvironment(StoreOpeners.standard("estoria"),
                new ByteArrayInputStream(new byte[0]), false, false, "estoria",
                onInterrupt -> {
                    interruptHandlers.add(onInterrupt);
                    return () -> interruptHandlers.remove(onInterrupt);
                },
                false, Clock.systemUTC());
        return EstoriaCli.run(environment, out, err, args);
    }

    /** Runs a command against {@code inSchema}. */
    CliHarness.Result runIn(String inSchema, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] full = new String[args.length + 4];
        System.arraycopy(args, 0, full, 0, args.length);
        full[args.length] = "--postgres";
        full[args.length + 1] = TestPostgres.url();
        full[args.length + 2] = "--schema";
        full[args.length + 3] = inSchema;
        int code = execute(new PrintWriter(out), new PrintWriter(err), full);
        return new CliHarness.Result(code, out.toString(), err.toString());
    }

    CliHarness.Result run(String... args) {
        return runIn(schema, args);
    }

    @Test
    void eventsPersistInTheSchemaFromOneRunToTheNext() {
        CliHarness.Result opened = run("append", STREAM, "--type", "accountopened", "--data", "{\"owner\":\"Ada\"}");
        assertThat(opened.exitCode()).as(opened.err()).isZero();
        assertThat(run("append", STREAM, "--type", "moneydeposited", "--data", "{\"amount\":500}",
                "--expect-version", "1").exitCode()).isZero();

        CliHarness.Result read = run("read", STREAM);
        assertThat(read.exitCode()).as(read.err()).isZero();
        assertThat(read.outLines()).hasSize(2);
        assertThat(read.outLines().get(1)).contains("\"streamVersion\":2", "\"data\":{\"amount\":500}");
        assertThat(run("streams").out()).isEqualTo("{\"streamId\":\"" + STREAM + "\",\"version\":2}\n");

        CliHarness.Result mismatch = run("append", STREAM, "--type", "t", "--data", "{}", "--expect-version", "1");
        assertThat(mismatch.exitCode()).isEqualTo(ExitCodes.VERSION_MISMATCH);
        assertThat(mismatch.err()).contains("expected version 1, actual version 2");

        assertThat(run("delete", STREAM).exitCode()).isZero();
        assertThat(run("read", STREAM).exitCode()).isEqualTo(ExitCodes.STREAM_NOT_FOUND);
    }

    @Test
    void theDemoRunsAndItsHistoryIsFilteredByTheStore() {
        CliHarness.Result demo = run("demo");
        assertThat(demo.exitCode()).as(demo.err()).isZero();
        assertThat(demo.out()).startsWith("Wrote 13 events for 3 new bank accounts to schema " + schema + " at jdbc:postgresql:")
                .containsPattern("account_\\S+  Ada Lovelace  open          4  1429.60           100.00\n")
                .contains("--schema " + schema + "\n");

        CliHarness.Result withdrawals = run("read-all", "--event-type", "moneywithdrawn");
        assertThat(withdrawals.outLines()).hasSize(5).allSatisfy(l -> assertThat(l).contains("\"type\":\"moneywithdrawn\""));
        CliHarness.Result opened = run("read-all", "--stream-type", "account", "--event-type", "accountopened", "--count", "2");
        assertThat(opened.outLines()).hasSize(2);
        assertThat(run("read-all", "--stream-type", "nothing").out()).isEmpty();
    }

    /** A session whose open transaction holds an ID: it holds back from readers what commits after it began. */
    private static java.sql.Connection olderTransaction() throws Exception {
        java.sql.Connection older = java.sql.DriverManager.getConnection(TestPostgres.url());
        older.setAutoCommit(false);
        try (var s = older.createStatement()) {
            s.execute("SELECT pg_current_xact_id()");
        }
        return older;
    }

    @Test
    void anExportThatCannotSeeEveryCommittedEventFailsRatherThanPassForWhole() throws Exception {
        assertThat(run("append", STREAM, "--type", "accountopened", "--data", "{}").exitCode()).isZero();
        try (java.sql.Connection older = olderTransaction()) {
            assertThat(run("append", STREAM, "--type", "moneydeposited", "--data", "{}").exitCode()).isZero();

            CliHarness.Result export = run("export", "--wait", "0");

            assertThat(export.exitCode()).as(export.err()).isEqualTo(ExitCodes.STORE_ERROR);
            // The oldest transaction is ours, unless the server is shared with other sessions.
            assertThat(export.err()).contains("export incomplete").contains("by transaction of backend pid ")
                    .contains("--after ");
            assertThat(export.outLines()).hasSize(1).allSatisfy(l -> assertThat(l).contains("accountopened"));

            CliHarness.Result readAll = run("read-all");
            assertThat(readAll.exitCode()).isZero();
            assertThat(readAll.outLines()).hasSize(1);
            assertThat(readAll.err()).startsWith("warning: events committed up to global position ")
                    .contains("not shown yet").contains("by transaction of backend pid ");
            older.commit();
        }
        assertThat(run("export").outLines()).hasSize(2);
        CliHarness.Result readAll = run("read-all");
        assertThat(readAll.outLines()).hasSize(2);
        assertThat(readAll.err()).isEmpty();
    }

    @Test
    void controlCharactersInTheHoldingTransactionsQueryAreShownEscaped() throws Exception {
        assertThat(run("append", STREAM, "--type", "accountopened", "--data", "{}").exitCode()).isZero();
        try (java.sql.Connection older = java.sql.DriverManager.getConnection(TestPostgres.url())) {
            older.setAutoCommit(false);
            // Another session's query text, which the server shows as it was sent: an ESC and a BEL.
            try (var s = older.createStatement()) {
                s.execute("SELECT pg_current_xact_id(), '\u001b[31mred\u0007'");
            }
            assertThat(run("append", STREAM, "--type", "moneydeposited", "--data", "{}").exitCode()).isZero();

            CliHarness.Result readAll = run("read-all");
            assertThat(readAll.err()).contains("not shown yet").contains("\\u001b[31mred\\u0007")
                    .doesNotContain("\u001b").doesNotContain("\u0007");

            CliHarness.Result export = run("export", "--wait", "0");
            assertThat(export.exitCode()).isEqualTo(ExitCodes.STORE_ERROR);
            assertThat(export.err()).startsWith("waiting up to 0 s for the events committed before the export began: ")
                    .contains("\\u001b[31mred\\u0007").doesNotContain("\u001b").doesNotContain("\u0007");
            older.commit();
        }
    }

    @Test
    void anExportWaitsForEventsCommittedBeforeItBeganThatAreHeldBack() throws Exception {
        assertThat(run("append", STREAM, "--type", "accountopened", "--data", "{}").exitCode()).isZero();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (java.sql.Connection older = olderTransaction()) {
            assertThat(run("append", STREAM, "--type", "moneydeposited", "--data", "{}").exitCode()).isZero();
            StringWriter out = new StringWriter();
            CliHarness.LineWriter err = new CliHarness.LineWriter();
            Future<Integer> export = executor.submit(() -> execute(new PrintWriter(out), new PrintWriter(err, true),
                    "export", "--wait", "60", "--postgres", TestPostgres.url(), "--schema", schema));
            // Generous: the command opens the store and reads first, on a machine that may be busy.
            assertThat(err.lines.poll(60, TimeUnit.SECONDS)).as("export says what it waits for")
                    .startsWith("waiting up to 60 s for the events committed before the export began: ")
                    .contains("by transaction of backend pid ");
            older.commit();
            assertThat(export.get(30, TimeUnit.SECONDS)).isZero();
            assertThat(out.toString().lines().toList()).hasSize(2).satisfies(lines -> {
                assertThat(lines.get(0)).contains("accountopened");
                assertThat(lines.get(1)).contains("moneydeposited");
            });
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void theDemoWaitsForItsEventsToReachAGlobalLogThatHoldsThemBack() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try (java.sql.Connection older = olderTransaction()) {
            StringWriter out = new StringWriter();
            CliHarness.LineWriter err = new CliHarness.LineWriter();
            Future<Integer> demo = executor.submit(() -> execute(new PrintWriter(out), new PrintWriter(err, true),
                    "demo", "--postgres", TestPostgres.url(), "--schema", schema));
            assertThat(err.lines.poll(60, TimeUnit.SECONDS))
                    .startsWith("waiting up to 10 s for the demo's events to reach the global log: ");
            older.commit();
            assertThat(demo.get(30, TimeUnit.SECONDS)).isZero();
            assertThat(out.toString()).startsWith("Wrote 13 events for 3 new bank accounts")
                    .doesNotContain("not in the global log yet");
            assertThat(out.toString().lines().filter(l -> l.matches("\\s*\\d+  (Ada|Grace|Alan) .*"))).hasSize(13);
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void exportFromOneSchemaImportsIntoAnother() throws Exception {
        String copy = TestPostgres.freshSchema();
        schemas.add(copy);
        assertThat(run("demo").exitCode()).isZero();
        Path export = dir.resolve("backup.ndjson");
        Files.writeString(export, run("export").out());

        CliHarness.Result first = runIn(copy, "import", export.toString());
        CliHarness.Result second = runIn(copy, "import", export.toString());

        assertThat(first.out()).as(first.err()).endsWith(": 13 written, 0 already present\n");
        assertThat(second.out()).endsWith(": 0 written, 13 already present\n");
        // Positions are assigned by the receiving store; everything else travels.
        String volatileFields = "\"(globalPosition|timestamp)\":(\"[^\"]*\"|\\d+),";
        assertThat(runIn(copy, "export").out().replaceAll(volatileFields, ""))
                .isEqualTo(Files.readString(export).replaceAll(volatileFields, ""));
    }

    @Test
    void tailFollowsAppendsMadeByAnotherRun() throws Exception {
        assertThat(run("append", STREAM, "--type", "accountopened", "--data", "{}").exitCode()).isZero();
        CliHarness.LineWriter lines = new CliHarness.LineWriter();
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            String[] args = {"tail", "--after", "0", "--stream-type", "account",
                "--postgres", TestPostgres.url(), "--schema", schema};
            Future<Integer> tail = executor.submit(() ->
                    execute(new PrintWriter(lines), new PrintWriter(new StringWriter()), args));
            assertThat(lines.take()).contains("\"type\":\"accountopened\"");

            assertThat(run("append", "--new-stream", "note", "--type", "written", "--data", "{}").exitCode()).isZero();
            assertThat(run("append", STREAM, "--type", "moneydeposited", "--data", "{\"amount\":1}").exitCode()).isZero();

            // The note is of another stream type: the deposit is the next line.
            assertThat(lines.take()).contains("\"type\":\"moneydeposited\"");
            interruptHandlers.forEach(Runnable::run);
            assertThat(tail.get(10, TimeUnit.SECONDS)).isZero();
            assertThat(lines.drain()).isEmpty();
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void projectionsShowsTheCheckpointsKeptInTheSchema() {
        assertThat(run("demo").exitCode()).isZero();
        try (PostgresEventStore store = PostgresEventStore.open(TestPostgres.url(),
                PostgresOptions.defaults().withSchema(schema))) {
            PostgresCheckpointStore checkpoints = PostgresCheckpointStore.of(store);
            checkpoints.save(ProjectionId.of("balances", 1), 0);
            long head = store.readAll().toList().getLast().globalPosition().orElseThrow();
            checkpoints.save(ProjectionId.of("statements", 2), head);
        }

        CliHarness.Result result = run("projections");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.outLines()).hasSize(2);
        assertThat(result.outLines().get(0)).contains("\"projection\":\"balances_v1\"", "\"position\":0,\"lag\":13,",
                "\"state\":\"live\"");
        assertThat(result.outLines().get(1)).contains("\"projection\":\"statements_v2\"", "\"lag\":0,");
        assertThat(run("projections", "--format", "table").outLines().getFirst()).startsWith("PROJECTION");
    }

    /**
     * A role with USAGE on the schema and SELECT on its tables, as dashboards and operators' command
     * lines are commonly given: every read command works, and a write is refused with a message
     * saying that the role may not write.
     */
    @Test
    void aRoleThatMayOnlyReadRunsTheReadCommandsAndIsToldItMayNotWrite() throws Exception {
        assertThat(run("append", STREAM, "--type", "accountopened", "--data", "{\"owner\":\"Ada\"}").exitCode()).isZero();
        assertThat(run("demo").exitCode()).isZero();
        try (PostgresEventStore store = PostgresEventStore.open(TestPostgres.url(),
                PostgresOptions.defaults().withSchema(schema))) {
            PostgresCheckpointStore.of(store).save(ProjectionId.of("balances", 1), 0);
        }
        String role = "r_" + schema;
        String url = TestPostgres.url().replaceFirst("\\?.*$", "") + "?user=" + role;
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(TestPostgres.url());
                java.sql.Statement s = c.createStatement()) {
            s.execute("CREATE ROLE \"" + role + "\" LOGIN");
            s.execute("GRANT USAGE ON SCHEMA \"" + schema + "\" TO \"" + role + "\"");
            s.execute("GRANT SELECT ON ALL TABLES IN SCHEMA \"" + schema + "\" TO \"" + role + "\"");
        }
        try {
            for (List<String> command : List.of(List.of("read", STREAM), List.of("read-all"), List.of("streams"),
                    List.of("export"), List.of("projections"))) {
                CliHarness.Result result = runAs(url, command.toArray(String[]::new));
                assertThat(result.exitCode()).as(command + ": " + result.err()).isZero();
                assertThat(result.out()).as(command.toString()).isNotEmpty();
            }
            assertThat(runAs(url, "read-all").out()).isEqualTo(run("read-all").out());

            for (List<String> command : List.of(List.of("append", STREAM, "--type", "t", "--data", "{}"),
                    List.of("delete", STREAM))) {
                CliHarness.Result result = runAs(url, command.toArray(String[]::new));
                assertThat(result.exitCode()).as(command.toString()).isEqualTo(ExitCodes.STORE_ERROR);
                assertThat(result.err()).as(command.toString()).contains("role \"" + role + "\" may not write");
            }
            assertThat(run("read", STREAM).outLines()).hasSize(1);

            // Without the grants, the role is told what it lacks, not that there is no store.
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(TestPostgres.url());
                    java.sql.Statement s = c.createStatement()) {
                s.execute("REVOKE ALL ON ALL TABLES IN SCHEMA \"" + schema + "\" FROM \"" + role + "\"");
                s.execute("REVOKE ALL ON SCHEMA \"" + schema + "\" FROM \"" + role + "\"");
            }
            CliHarness.Result denied = runAs(url, "streams");
            assertThat(denied.exitCode()).isEqualTo(ExitCodes.STORE_ERROR);
            assertThat(denied.err()).contains("role \"" + role + "\" lacks a privilege", "USAGE on the schema");
        } finally {
            TestPostgres.dropSchema(schema);
            try (java.sql.Connection c = java.sql.DriverManager.getConnection(TestPostgres.url());
                    java.sql.Statement s = c.createStatement()) {
                s.execute("DROP OWNED BY \"" + role + "\"");
                s.execute("DROP ROLE \"" + role + "\"");
            }
        }
    }

    /** Runs a command against the schema with another URL (another role). */
    CliHarness.Result runAs(String url, String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        String[] full = new String[args.length + 4];
        System.arraycopy(args, 0, full, 0, args.length);
        full[args.length] = "--postgres";
        full[args.length + 1] = url;
        full[args.length + 2] = "--schema";
        full[args.length + 3] = schema;
        int code = execute(new PrintWriter(out), new PrintWriter(err), full);
        return new CliHarness.Result(code, out.toString(), err.toString());
    }

    @Test
    void commandsThatOnlyReadRefuseAMissingSchemaAndCreateNothing() throws Exception {
        for (String command : List.of("read-all", "streams", "projections", "tail", "export")) {
            CliHarness.Result result = run(command);

            assertThat(result.exitCode()).as(command).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(result.err()).as(command).startsWith("error: no Estoria store in schema " + schema + " at jdbc:postgresql:");
        }
        assertThat(TestPostgres.schemaExists(schema)).isFalse();
    }

    @Test
    void anAppendExpectingAnExistingStreamRefusesAMissingSchemaAndCreatesNothing() throws Exception {
        CliHarness.Result result = run("append", STREAM, "--type", "t", "--data", "{}", "--expect-exists");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.VERSION_MISMATCH);
        assertThat(result.err()).contains("expected an existing stream, the stream does not exist");
        assertThat(TestPostgres.schemaExists(schema)).isFalse();
    }

    @Test
    void anUnreachableServerIsAStoreError() {
        StringWriter err = new StringWriter();
        int code = execute(new PrintWriter(new StringWriter()), new PrintWriter(err),
                "streams", "--postgres", "jdbc:postgresql://127.0.0.1:1/nowhere?user=u&password=secret");

        assertThat(code).isEqualTo(ExitCodes.STORE_ERROR);
        assertThat(err.toString()).startsWith("error: cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:1/nowhere: ")
                .doesNotContain("secret");
    }

    @Test
    void anUnreachableServerIsTheSameStoreErrorForACommandThatWrites() {
        StringWriter err = new StringWriter();
        int code = execute(new PrintWriter(new StringWriter()), new PrintWriter(err), "append", "--new-stream", "x",
                "--type", "t", "--data", "1", "--postgres", "jdbc:postgresql://127.0.0.1:1/nowhere?user=u&password=secret");

        assertThat(code).isEqualTo(ExitCodes.STORE_ERROR);
        assertThat(err.toString()).startsWith("error: cannot connect to PostgreSQL at jdbc:postgresql://127.0.0.1:1/nowhere: ")
                .doesNotContain("secret").doesNotContain("Connection is not available");
    }
}
