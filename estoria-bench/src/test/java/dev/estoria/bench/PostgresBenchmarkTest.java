package dev.estoria.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs each PostgreSQL benchmark end to end in quick mode against {@code ESTORIA_POSTGRES_URL} or an
 * embedded server: the harness works and drops its schemas; no speed is asserted.
 */
class PostgresBenchmarkTest {

    @TempDir
    Path dir;

    private BenchSettings settings() {
        return BenchSettings.quick().withWorkDirectory(dir);
    }

    @Test
    void appendsAndReadsProduceWellFormedTablesAndDropTheirSchemas() throws Exception {
        List<String> before = TestPostgres.schemasStartingWith("bench_");

        BenchReport report = PostgresBenchmark.run(settings(), TestPostgres.url());

        List<List<String>> tables = Markdown.assertWellFormedTables(report.toMarkdown());
        // Rates, latencies, catch-up reads, heap check, goals.
        assertThat(tables).hasSize(5);
        List<String> rates = tables.get(0);
        assertThat(Markdown.row(rates.get(0))).containsSubsequence("Estoria appends/s", "(i) unprotected appends/s",
                "(ii) allocator row appends/s", "(iii) Axon JDBC appends/s", "Estoria strict appends/s");
        // 1 and 4 writers with 1 event, 4 writers with 10 events.
        assertThat(rates).hasSize(2 + 3);
        for (String line : rates.subList(2, rates.size())) {
            for (String cell : Markdown.row(line).subList(2, 7)) {
                assertThat(cell).as("appends/s in %s", line).matches("[0-9,.]+");
            }
        }
        List<String> reads = tables.get(2);
        assertThat(reads).hasSize(2 + 4);
        assertThat(Markdown.row(reads.get(3)).get(0)).contains("binary results");
        assertThat(Markdown.row(reads.get(4)).get(0)).contains("text results");
        assertThat(Markdown.row(reads.get(5)).get(0)).startsWith("Axon readEvents");
        assertThat(Markdown.row(tables.get(3).get(2)).get(1)).as("the 256 MiB child JVM read everything")
                .isEqualTo("yes");
        assertThat(report.goals()).extracting(GoalCheck::goal)
                .anyMatch(goal -> goal.contains("ratio to (i)"))
                .anyMatch(goal -> goal.startsWith("catch-up read: ratio"));
        assertThat(TestPostgres.schemasStartingWith("bench_")).as("the run's schemas are dropped")
                .containsExactlyInAnyOrderElementsOf(before);
    }

    @Test
    void aggregateLoadAndProjectionLatencyRunOnPostgres() throws Exception {
        List<String> before = TestPostgres.schemasStartingWith("bench_");
        Backend backend = Backend.postgres(TestPostgres.url());

        BenchReport aggregate = AggregateLoadBenchmark.run(settings(), backend);
        BenchReport projection = ProjectionLatencyBenchmark.run(settings(), backend);

        assertThat(Markdown.row(Markdown.assertWellFormedTables(aggregate.toMarkdown()).get(0).get(2)).get(0))
                .isEqualTo("PostgreSQL");
        assertThat(aggregate.goals().get(0).measured()).isPositive();
        List<String> latency = Markdown.row(Markdown.assertWellFormedTables(projection.toMarkdown()).get(0).get(2));
        assertThat(latency.get(0)).isEqualTo("PostgreSQL");
        assertThat(projection.goals().get(0).measured()).isPositive()
                .isLessThan(ProjectionLatencyBenchmark.POLL_SECONDS * 1000.0 / 2);
        assertThat(TestPostgres.schemasStartingWith("bench_")).containsExactlyInAnyOrderElementsOf(before);
    }
}
