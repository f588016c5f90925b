package dev.estoria.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runs each SQLite benchmark end to end in quick mode: the harness works; no speed is asserted. */
class SqliteBenchmarkTest {

    @TempDir
    Path dir;

    private BenchSettings settings() {
        return BenchSettings.quick().withWorkDirectory(dir);
    }

    @Test
    void appendsAndReadsProduceWellFormedTablesAndLeaveNoFiles() throws Exception {
        BenchReport report = SqliteBenchmark.run(settings());

        List<List<String>> tables = Markdown.assertWellFormedTables(report.toMarkdown());
        // Appends, reads, heap check, goals.
        assertThat(tables).hasSize(4);
        List<String> appends = tables.get(0);
        // Header, separator, and 1 and 4 writers for 1 and 10 events.
        assertThat(appends).hasSize(2 + 4);
        for (String line : appends.subList(2, appends.size())) {
            List<String> cells = Markdown.row(line);
            assertThat(cells.get(2)).as("Estoria appends/s").matches("[0-9,.]+");
            assertThat(cells.get(5)).as("baseline appends/s").matches("[0-9,.]+");
            assertThat(cells.get(8)).matches("[0-9.]+x");
        }
        assertThat(Markdown.row(tables.get(1).get(3)).get(0)).startsWith("catch-up read");
        assertThat(Markdown.row(tables.get(2).get(2)).get(1)).as("the 256 MiB child JVM read everything")
                .isEqualTo("yes");
        assertThat(report.goals()).extracting(GoalCheck::goal)
                .anyMatch(goal -> goal.startsWith("catch-up read: ratio"))
                .anyMatch(goal -> goal.contains("256m heap"));
        assertThat(report.goals()).filteredOn(goal -> goal.goal().contains("256m heap"))
                .allMatch(GoalCheck::met);
        try (Stream<Path> left = Files.list(dir)) {
            assertThat(left).as("temporary files are deleted").isEmpty();
        }
    }

    @Test
    void aggregateLoadComparesSnapshotAndFullReplay() {
        BenchReport report = AggregateLoadBenchmark.run(settings(), Backend.sqlite(dir));

        List<List<String>> tables = Markdown.assertWellFormedTables(report.toMarkdown());
        List<String> row = Markdown.row(tables.get(0).get(2));
        assertThat(row.get(0)).isEqualTo("SQLite");
        assertThat(row.get(3)).matches("[0-9.]+x");
        assertThat(report.goals()).hasSize(1);
        assertThat(report.goals().get(0).measured()).isPositive();
    }

    @Test
    void projectionLatencyIsMeasuredThroughTheSubscription() throws Exception {
        BenchReport report = ProjectionLatencyBenchmark.run(settings(), Backend.sqlite(dir));

        List<List<String>> tables = Markdown.assertWellFormedTables(report.toMarkdown());
        List<String> row = Markdown.row(tables.get(0).get(2));
        assertThat(row.get(0)).isEqualTo("SQLite");
        assertThat(row.get(1)).isEqualTo("3 x 10");
        GoalCheck p50 = report.goals().get(0);
        assertThat(p50.measured()).isPositive();
        // With a 30 s poll interval, a p50 far below it shows the notification woke the subscriber.
        assertThat(p50.measured()).isLessThan(ProjectionLatencyBenchmark.POLL_SECONDS * 1000.0 / 2);
    }
}
