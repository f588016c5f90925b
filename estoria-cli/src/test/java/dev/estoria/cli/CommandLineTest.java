package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.cli.store.StoreTarget;
import dev.estoria.cli.store.StoreUnavailableException;
import dev.estoria.eventstore.EventStoreException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Usage, help and the mapping of failures to exit codes. */
class CommandLineTest {

    final CliHarness cli = new CliHarness();

    @Test
    void withoutACommandItShowsUsageAndFails() {
        CliHarness.Result result = cli.run();

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).startsWith("Usage: estoria [-hV] [--db=FILE] [--postgres=URL] [--schema=NAME] COMMAND").contains("demo", "Exit codes:");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void helpListsTheCommandsAndExitCodes() {
        CliHarness.Result result = cli.run("--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("demo", "append", "read", "read-all", "tail", "streams", "delete", "export",
                "import", "projections", "3   version mismatch");
        assertThat(cli.run("append", "--help").out()).contains("--expect-version", "--db=FILE", "./estoria.db");
    }

    @Test
    void anUnknownCommandIsOneErrorLine() {
        CliHarness.Result result = cli.run("frobnicate");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).startsWith("error: Unmatched argument at index 0: 'frobnicate'");
        assertThat(result.err().lines()).hasSize(1);
    }

    @Test
    void everyCommandTakesDbOrPostgres() {
        CommandLine commandLine = EstoriaCli.commandLine(cli.environment(System.in),
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));

        assertThat(commandLine.getSubcommands()).hasSizeGreaterThanOrEqualTo(9);
        commandLine.getSubcommands().forEach((name, sub) ->
                assertThat(List.of("--db", "--postgres", "--schema")).allSatisfy(option ->
                        assertThat(sub.getCommandSpec().findOption(option)).as(name + " " + option).isNotNull()));
    }

    @Test
    void dbMayStandBeforeOrAfterTheCommand() {
        cli.store("a.db").appendStream(dev.estoria.typeid.TypeId.parse("x_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a"),
                java.util.List.of(dev.estoria.eventstore.WritableEvent.json("t", "{}")));
        cli.store("b.db");

        assertThat(cli.run("--db", "a.db", "streams").outLines()).hasSize(1);
        assertThat(cli.run("streams", "--db", "a.db").outLines()).hasSize(1);
        assertThat(cli.run("--db", "b.db", "streams").outLines()).isEmpty();
        assertThat(cli.run("--db", "missing.db", "streams").err()).isEqualTo("error: no database at missing.db\n");
    }

    @Test
    void aStoreOptionGivenBothBeforeAndAfterTheCommandIsRefused() {
        cli.store("a.db");
        String url = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
        String[][] twice = {
            {"--db", "a.db", "streams", "--db", "b.db"},
            {"--postgres", url, "streams", "--postgres", url},
            {"--postgres", url, "--schema", "a", "read-all", "--schema", "b"},
        };
        for (String[] args : twice) {
            CliHarness.Result result = cli.run(args);
            assertThat(result.exitCode()).as(String.join(" ", args)).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(result.err()).as(String.join(" ", args)).endsWith(
                    " is given both before and after the command name; give it once\n");
        }
        assertThat(cli.openCount).isZero();
    }

    @Test
    void postgresNamesAStoreInASchema() {
        List<StoreTarget> opened = new ArrayList<>();
        cli.opener = (target, mode) -> {
            opened.add(target);
            throw new StoreUnavailableException("no store in " + target.describe());
        };
        String url = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres&password=secret";

        CliHarness.Result defaultSchema = cli.run("streams", "--postgres", url);
        CliHarness.Result otherSchema = cli.run("--postgres", url, "--schema", "bank_1", "read-all");

        assertThat(opened).containsExactly(new StoreTarget.Postgres(url, "estoria"), new StoreTarget.Postgres(url, "bank_1"));
        assertThat(defaultSchema.err()).isEqualTo("error: no store in schema estoria at jdbc:postgresql://127.0.0.1:5432/test\n");
        assertThat(otherSchema.err()).doesNotContain("secret");
        assertThat(opened.getFirst().toString()).doesNotContain("secret");
    }

    @Test
    void dbAndPostgresExcludeEachOtherAndSchemaNeedsPostgres() {
        String url = "jdbc:postgresql://127.0.0.1:5432/test?user=postgres";
        String[][] refused = {
            {"streams", "--db", "a.db", "--postgres", url},
            {"--db", "a.db", "streams", "--postgres", url},
            {"append", "--new-stream", "x", "--type", "t", "--data", "{}", "--db", "a.db", "--postgres", url},
        };
        for (String[] args : refused) {
            CliHarness.Result result = cli.run(args);
            assertThat(result.exitCode()).as(String.join(" ", args)).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(result.err()).isEqualTo(
                    "error: --db and --postgres name two different stores; give only one of them\n");
        }

        CliHarness.Result schemaAlone = cli.run("streams", "--schema", "s");
        assertThat(schemaAlone.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(schemaAlone.err()).isEqualTo("error: --schema needs --postgres (a file store has no schemas)\n");

        CliHarness.Result otherCurrentSchema = cli.run("streams", "--postgres", url + "&currentSchema=bank");
        assertThat(otherCurrentSchema.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(otherCurrentSchema.err()).isEqualTo("error: --postgres sets currentSchema=bank, but the store's schema"
                + " is given with --schema (here estoria, the default); use --schema bank or leave currentSchema out of the URL\n");
        assertThat(cli.run("streams", "--postgres", url + "&currentSchema=bank", "--schema", "bank").err())
                .doesNotContain("currentSchema");
        // The store's schema first in the search path, as given or percent-encoded, is what --schema says.
        assertThat(cli.run("streams", "--postgres", url + "&currentSchema=estoria,public").err())
                .doesNotContain("currentSchema");
        assertThat(cli.run("streams", "--postgres", url + "&currentSchema=estoria%2Cpublic").err())
                .doesNotContain("currentSchema");
        assertThat(cli.run("streams", "--postgres", url + "&currentSchema=public,estoria").err())
                .startsWith("error: --postgres sets currentSchema=public,estoria, but the store's schema")
                .contains("use --schema public");
        // The driver reads only currentSchema, in that case; other spellings are not its search path.
        assertThat(cli.run("streams", "--postgres", url + "&currentschema=bank").err()).doesNotContain("currentSchema");

        CliHarness.Result badUrl = cli.run("streams", "--postgres", "postgres://localhost/test");
        assertThat(badUrl.err()).startsWith("error: --postgres takes a JDBC URL starting with jdbc:postgresql:");

        CliHarness.Result badSchema = cli.run("streams", "--postgres", url, "--schema", "drop table;");
        assertThat(badSchema.err()).startsWith("error: invalid --schema \"drop table;\"");
        assertThat(cli.run("streams", "--postgres", url, "--schema", "pg_catalog").exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        CliHarness.Result informationSchema = cli.run("streams", "--postgres", url, "--schema", "information_schema");
        assertThat(informationSchema.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(informationSchema.err()).startsWith("error: invalid --schema \"information_schema\"");
        assertThat(cli.openCount).isZero();
        assertThat(cli.stores).isEmpty();
    }

    @Test
    void storeFailuresExitWith4() {
        cli.opener = (target, mode) -> {
            throw new EventStoreException("disk I/O error while opening " + target.describe());
        };

        CliHarness.Result result = cli.run("streams");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.STORE_ERROR);
        assertThat(result.err()).isEqualTo("error: disk I/O error while opening ./estoria.db\n");
    }

    @Test
    void unexpectedFailuresExitWith4WithoutAStackTrace() {
        cli.opener = (target, mode) -> {
            throw new IllegalStateException("boom");
        };

        CliHarness.Result result = cli.run("streams");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.STORE_ERROR);
        assertThat(result.err()).isEqualTo("error: unexpected IllegalStateException: boom\n");
    }
}
