package dev.estoria.bench;

import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;

/**
 * The entry points a command line calls: every benchmark of one backend, or a chosen subset, each
 * returning its reports.
 */
public final class Benchmarks {

    /** The benchmarks of a backend. */
    public enum Section {
        /** Concurrent appends against the baselines. */
        APPENDS,
        /** Stream and catch-up reads against a raw scan, and the 256 MiB catch-up check. */
        READS,
        /** Aggregate load with and without a snapshot. */
        AGGREGATE,
        /** Append-to-handler latency of a live subscription. */
        PROJECTION
    }

    private Benchmarks() {
    }

    /** Runs the given sections (all when empty) against a fresh SQLite file per run. */
    public static List<BenchReport> sqlite(BenchSettings settings, Set<Section> sections) throws Exception {
        Set<Section> chosen = sections.isEmpty() ? EnumSet.allOf(Section.class) : sections;
        List<BenchReport> reports = new ArrayList<>();
        List<SqliteBenchmark.Part> parts = new ArrayList<>();
        if (chosen.contains(Section.APPENDS)) {
            parts.add(SqliteBenchmark.Part.APPENDS);
        }
        if (chosen.contains(Section.READS)) {
            parts.add(SqliteBenchmark.Part.READS);
        }
        if (!parts.isEmpty()) {
            reports.add(SqliteBenchmark.run(settings, parts.toArray(SqliteBenchmark.Part[]::new)));
        }
        Backend backend = Backend.sqlite(settings.workDirectory());
        if (chosen.contains(Section.AGGREGATE)) {
            reports.add(AggregateLoadBenchmark.run(settings, backend));
        }
        if (chosen.contains(Section.PROJECTION)) {
            reports.add(ProjectionLatencyBenchmark.run(settings, backend));
        }
        return reports;
    }

    /** Runs the given sections (all when empty) against the PostgreSQL database at {@code jdbcUrl}. */
    public static List<BenchReport> postgres(BenchSettings settings, String jdbcUrl, Set<Section> sections)
            throws Exception {
        Set<Section> chosen = sections.isEmpty() ? EnumSet.allOf(Section.class) : sections;
        List<BenchReport> reports = new ArrayList<>();
        List<PostgresBenchmark.Part> parts = new ArrayList<>();
        if (chosen.contains(Section.APPENDS)) {
            parts.add(PostgresBenchmark.Part.APPENDS);
        }
        if (chosen.contains(Section.READS)) {
            parts.add(PostgresBenchmark.Part.READS);
        }
        if (!parts.isEmpty()) {
            reports.add(PostgresBenchmark.run(settings, jdbcUrl, parts.toArray(PostgresBenchmark.Part[]::new)));
        }
        Backend backend = Backend.postgres(jdbcUrl);
        if (chosen.contains(Section.AGGREGATE)) {
            reports.add(AggregateLoadBenchmark.run(settings, backend));
        }
        if (chosen.contains(Section.PROJECTION)) {
            reports.add(ProjectionLatencyBenchmark.run(settings, backend));
        }
        return reports;
    }

    /** The reports as one Markdown document. */
    public static String toMarkdown(List<BenchReport> reports) {
        StringBuilder out = new StringBuilder();
        for (BenchReport report : reports) {
            if (!out.isEmpty()) {
                out.append('\n');
            }
            out.append(report.toMarkdown());
        }
        return out.toString();
    }
}
