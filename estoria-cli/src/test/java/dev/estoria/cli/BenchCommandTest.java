package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchCommandTest {

    final CliHarness cli = new CliHarness();

    @Test
    void aQuickRunPrintsMarkdownTablesAndWritesThemOut(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("bench.md");
        CliHarness.Result result = cli.run("bench", "--quick", "--only", "aggregate", "--dir", dir.toString(),
                "--repetitions", "1", "--out", out.toString());
        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.err()).contains("Benchmarking the SQLite store")
                .as("one progress line per finished measurement").contains("bench: aggregate load, SQLite: ");
        assertThat(result.out()).contains("| backend |").contains("SQLite");
        assertThat(result.out()).as("progress stays off the tables").doesNotContain("bench: ");
        assertThat(Files.readString(out)).isEqualTo(result.out());
        assertThat(cli.openCount).as("the benchmark never opens the --db store").isZero();
    }

    @Test
    void badSectionsAndRepetitionsAreRefused() {
        CliHarness.Result section = cli.run("bench", "--only", "everything");
        assertThat(section.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(section.err()).contains("unknown --only section \"everything\"");
        CliHarness.Result reps = cli.run("bench", "--repetitions", "0");
        assertThat(reps.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
    }

    @Test
    void optionsThatCannotWorkAreRefusedBeforeTheRun(@TempDir Path dir) throws Exception {
        Path file = Files.writeString(dir.resolve("a-file"), "x");
        String[][] refused = {
            {"bench", "--quick", "--out", dir.resolve("missing").resolve("bench.md").toString()},
            {"bench", "--quick", "--out", dir.toString()},
            {"bench", "--quick", "--dir", file.toString()},
            {"bench", "--quick", "--db", "estoria.db"},
            {"bench", "--quick", "--postgres", "jdbc:postgresql://127.0.0.1:1/x", "--schema", "s"},
        };
        for (String[] args : refused) {
            CliHarness.Result result = cli.run(args);
            assertThat(result.exitCode()).as(String.join(" ", args)).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(result.err()).as(String.join(" ", args)).startsWith("error: ")
                    .doesNotContain("Benchmarking");
        }
    }
}
