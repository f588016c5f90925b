package dev.estoria.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BenchMainTest {

    @TempDir
    Path dir;

    @Test
    void runsAChosenSectionAndWritesTheMarkdown() throws Exception {
        Path out = dir.resolve("report.md");

        int status = BenchMain.run(new String[] {"sqlite", "--quick", "--dir", dir.toString(), "--only", "aggregate",
            "--out", out.toString()});

        assertThat(status).isZero();
        String markdown = Files.readString(out);
        assertThat(markdown).startsWith("## Aggregate load").doesNotContain("### Appends");
        Markdown.assertWellFormedTables(markdown);
    }

    @Test
    void refusesBadArguments() {
        assertThatThrownBy(() -> BenchMain.run(new String[0])).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> BenchMain.run(new String[] {"mysql"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("mysql");
        assertThatThrownBy(() -> BenchMain.run(new String[] {"postgres", "--quick"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("JDBC URL");
        assertThatThrownBy(() -> BenchMain.run(new String[] {"sqlite", "--only", "everything"}))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("everything");
        assertThatThrownBy(() -> BenchMain.run(new String[] {"sqlite", "--repetitions"}))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
