package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.EventStoreException;
import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Usage, help and the mapping of failures to exit codes. */
class CommandLineTest {

    final CliHarness cli = new CliHarness();

    @Test
    void withoutACommandItShowsUsageAndFails() {
        CliHarness.Result result = cli.run();

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).startsWith("Usage: estoria [-hV] [--db=FILE] COMMAND").contains("demo", "Exit codes:");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void helpListsTheCommandsAndExitCodes() {
        CliHarness.Result result = cli.run("--help");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).contains("demo", "append", "read", "read-all", "tail", "streams", "delete", "export",
                "import", "3   version mismatch");
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
    void everyCommandTakesDb() {
        CommandLine commandLine = EstoriaCli.commandLine(cli.environment(System.in),
                new PrintWriter(new StringWriter()), new PrintWriter(new StringWriter()));

        assertThat(commandLine.getSubcommands()).hasSizeGreaterThanOrEqualTo(9);
        commandLine.getSubcommands().forEach((name, sub) ->
                assertThat(sub.getCommandSpec().findOption("--db")).as(name).isNotNull());
    }

    @Test
    void dbMayStandBeforeOrAfterTheCommand() {
        cli.store("a.db").appendStream(dev.estoria.typeid.TypeId.parse("x_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a"),
                java.util.List.of(dev.estoria.eventstore.WritableEvent.json("t", "{}")));
        cli.store("b.db");

        assertThat(cli.run("--db", "a.db", "streams").outLines()).hasSize(1);
        assertThat(cli.run("streams", "--db", "a.db").outLines()).hasSize(1);
        assertThat(cli.run("--db", "b.db", "streams").outLines()).isEmpty();
        assertThat(cli.run("--db", "a.db", "streams", "--db", "b.db").outLines()).isEmpty();
        assertThat(cli.run("--db", "missing.db", "streams").err()).isEqualTo("error: no database at missing.db\n");
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
