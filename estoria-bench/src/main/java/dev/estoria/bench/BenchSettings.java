package dev.estoria.bench;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * How large and how long a benchmark run is.
 *
 * <p>{@link #full()} is the published run; {@link #quick()} runs every step with tiny sizes, to
 * check the harness end to end in seconds (its figures mean nothing).
 *
 * @param quickMode whether this is the quick mode (shown in reports)
 * @param repetitions how many measured repetitions each figure is the median of, at least 1
 * @param warmup how long each write run appends before its measurement starts
 * @param measure how long each write run is measured
 * @param sqliteWriters the writer counts of the SQLite append table
 * @param postgresWriters the writer counts of the PostgreSQL single-event append table
 * @param postgresBatchWriters the writer count of the PostgreSQL 10-event append row
 * @param readEvents how many events the catch-up and stream reads go over
 * @param heapCheckEvents how many events the catch-up read in a child JVM with a 256 MiB heap reads
 * @param aggregateEvents how many events the aggregate of the load benchmark has
 * @param projectionEvents how many appends the projection latency benchmark times per repetition
 * @param workDirectory where SQLite files are created (and deleted afterwards)
 * @param progress where each finished measurement is reported while the run goes on
 */
public record BenchSettings(
        boolean quickMode,
        int repetitions,
        Duration warmup,
        Duration measure,
        List<Integer> sqliteWriters,
        List<Integer> postgresWriters,
        int postgresBatchWriters,
        int readEvents,
        int heapCheckEvents,
        int aggregateEvents,
        int projectionEvents,
        Path workDirectory,
        Progress progress) {

    /** The heap the catch-up child JVM gets. */
    public static final String CHILD_HEAP = "256m";

    /** {@link #CHILD_HEAP} in bytes: the most heap the catch-up child JVM may have. */
    static final long CHILD_HEAP_BYTES = 256L * 1024 * 1024;

    public BenchSettings {
        if (repetitions < 1) {
            throw new IllegalArgumentException("repetitions must be >= 1, was " + repetitions);
        }
        Objects.requireNonNull(warmup, "warmup");
        Objects.requireNonNull(measure, "measure");
        if (measure.isZero() || measure.isNegative()) {
            throw new IllegalArgumentException("measure must be positive, was " + measure);
        }
        sqliteWriters = List.copyOf(sqliteWriters);
        postgresWriters = List.copyOf(postgresWriters);
        if (readEvents < 1 || heapCheckEvents < 1 || aggregateEvents < 1 || projectionEvents < 1) {
            throw new IllegalArgumentException("event counts must be >= 1");
        }
        Objects.requireNonNull(workDirectory, "workDirectory");
        Objects.requireNonNull(progress, "progress");
    }

    /**
     * The published sizes: 3 repetitions, 1 s warm-up and 3 s measurement per write run, 1M events
     * for reads and the 256 MiB catch-up check, an aggregate of 10,000 events, 300 timed projection
     * appends.
     */
    public static BenchSettings full() {
        return new BenchSettings(false, 3, Duration.ofSeconds(1), Duration.ofSeconds(3), List.of(1, 8, 64, 256),
                List.of(1, 16, 64), 16, 1_000_000, 1_000_000, 10_000, 300, defaultDirectory(), Progress.NONE);
    }

    /**
     * Tiny sizes that still run every step (1 and 4 writers, 2,000 events): for checking the harness,
     * not for figures.
     */
    public static BenchSettings quick() {
        return new BenchSettings(true, 3, Duration.ofMillis(20), Duration.ofMillis(60), List.of(1, 4),
                List.of(1, 4), 4, 2_000, 2_000, 200, 10, defaultDirectory(), Progress.NONE);
    }

    private static Path defaultDirectory() {
        return Path.of(System.getProperty("java.io.tmpdir"));
    }

    /** Returns a copy that creates its files under {@code directory}. */
    public BenchSettings withWorkDirectory(Path directory) {
        return new BenchSettings(quickMode, repetitions, warmup, measure, sqliteWriters, postgresWriters,
                postgresBatchWriters, readEvents, heapCheckEvents, aggregateEvents, projectionEvents, directory, progress);
    }

    /** Returns a copy with another repetition count. */
    public BenchSettings withRepetitions(int count) {
        return new BenchSettings(quickMode, count, warmup, measure, sqliteWriters, postgresWriters,
                postgresBatchWriters, readEvents, heapCheckEvents, aggregateEvents, projectionEvents, workDirectory,
                progress);
    }

    /** Returns a copy that reports each finished measurement to {@code sink}. */
    public BenchSettings withProgress(Progress sink) {
        return new BenchSettings(quickMode, repetitions, warmup, measure, sqliteWriters, postgresWriters,
                postgresBatchWriters, readEvents, heapCheckEvents, aggregateEvents, projectionEvents, workDirectory,
                sink);
    }

    /** One line describing the settings, for reports. */
    String describe() {
        return (quickMode ? "quick mode (harness check only: figures are not meaningful)" : "full mode") + "; "
                + repetitions + " repetitions, medians reported; write runs: " + warmup.toMillis() + " ms warm-up + "
                + measure.toMillis() + " ms measured";
    }
}
