package dev.estoria.bench;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.sqlite.SqliteEventStore;
import dev.estoria.sqlite.SqliteOptions;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * The SQLite benchmark: appends and reads of {@link SqliteEventStore} beside plain JDBC baselines
 * measured in the same run, plus a catch-up read in a child JVM with a 256 MiB heap.
 *
 * <ul>
 *   <li>Appends: for each writer count in {@link BenchSettings#sqliteWriters()} and 1 or 10 events
 *       per append, each writer appends to its own stream with an exact expected version. Baseline:
 *       {@link SqliteBaseline}, one transaction per append. Repetitions alternate store and
 *       baseline, each on a fresh file.
 *   <li>Reads: stream reads (every stream of the file, forward) and one catch-up read of the whole
 *       global log, beside a raw JDBC scan of the same table that reads the same columns.
 *   <li>Heap: a child JVM with {@code -Xmx256m} reads {@link BenchSettings#heapCheckEvents()}
 *       events from the global log.
 * </ul>
 *
 * <p>Goals: at 64 writers at least 20x the baseline; catch-up reads at least 0.7x the raw scan;
 * the heap check completes.
 */
public final class SqliteBenchmark {

    private static final String COLUMNS =
            "position, stream_id, version, event_uuid, event_type, recorded_us, data, content_type, metadata";
    private static final int GOAL_WRITERS = 64;

    private SqliteBenchmark() {
    }

    /** Runs every part and returns the report. */
    public static BenchReport run(BenchSettings settings) throws Exception {
        return run(settings, Part.values());
    }

    /** The parts of the benchmark, to run a subset. */
    public enum Part {
        /** Concurrent appends against the one-transaction-per-append baseline. */
        APPENDS,
        /** Stream and catch-up reads against a raw scan, and the small-heap catch-up check. */
        READS
    }

    /** Runs the given parts and returns the report. */
    public static BenchReport run(BenchSettings settings, Part... parts) throws Exception {
        List<ResultTable> tables = new ArrayList<>();
        List<GoalCheck> goals = new ArrayList<>();
        for (Part part : parts) {
            switch (part) {
                case APPENDS -> appends(settings, tables, goals);
                case READS -> reads(settings, tables, goals);
            }
        }
        List<String> environment = List.of(settings.describe(),
                "SQLite " + sqliteVersion() + " via sqlite-jdbc; WAL, synchronous=FULL, wal_autocheckpoint="
                        + SqliteOptions.DEFAULT_CHECKPOINT_PAGES + " on both sides; files under "
                        + settings.workDirectory(),
                Environment.describe());
        return new BenchReport("SQLite: SqliteEventStore vs plain JDBC", environment, tables, goals);
    }

    // ------------------------------------------------------------------ appends

    private static void appends(BenchSettings settings, List<ResultTable> tables, List<GoalCheck> goals)
            throws Exception {
        ResultTable.Builder table = new ResultTable.Builder("Appends (distinct streams, exact expected versions)",
                "writers", "events/append", "Estoria appends/s", "p50 ms", "p99 ms", "baseline appends/s",
                "p50 ms", "p99 ms", "ratio");
        for (int events : List.of(1, 10)) {
            for (int writers : settings.sqliteWriters()) {
                List<WriteRun.Result> store = new ArrayList<>();
                List<WriteRun.Result> baseline = new ArrayList<>();
                for (int rep = 0; rep < settings.repetitions(); rep++) {
                    store.add(WriteRun.run(w -> estoria(settings), writers, events, settings.warmup(),
                            settings.measure()));
                    baseline.add(WriteRun.run(w -> baseline(settings), writers, events, settings.warmup(),
                            settings.measure()));
                }
                WriteRun.Summary s = WriteRun.Summary.of(store);
                WriteRun.Summary b = WriteRun.Summary.of(baseline);
                settings.progress().step("appends, " + writers + " writers x " + events + " event(s): Estoria "
                        + Format.number(s.appendsPerSecond()) + " appends/s, baseline "
                        + Format.number(b.appendsPerSecond()) + " appends/s");
                double ratio = s.appendsPerSecond() / b.appendsPerSecond();
                table.row(Integer.toString(writers), Integer.toString(events), Format.number(s.appendsPerSecond()),
                        Format.millis(s.p50Nanos()), Format.millis(s.p99Nanos()), Format.number(b.appendsPerSecond()),
                        Format.millis(b.p50Nanos()), Format.millis(b.p99Nanos()), Format.ratio(ratio));
                if (writers == GOAL_WRITERS) {
                    goals.add(GoalCheck.atLeast("appends, " + writers + " writers x " + events
                            + " event(s): ratio to one-transaction-per-append baseline", ratio, 20));
                }
            }
        }
        table.note("Baseline: plain JDBC, one connection per writer thread, one BEGIN IMMEDIATE transaction per"
                + " append (read stream row, check version, insert events, update stream row), busy_timeout "
                + SqliteBaseline.BUSY_TIMEOUT.toSeconds() + " s, same pragmas and table shape. Each figure is the"
                + " median of " + settings.repetitions() + " repetitions, each on a fresh file; p50/p99 are per"
                + " append, in milliseconds.");
        tables.add(table.build());
    }

    private static AppendSubject estoria(BenchSettings settings) {
        Path directory = TempFiles.newDirectory(settings.workDirectory());
        SqliteEventStore store = SqliteEventStore.open(directory.resolve("events.db"));
        return new EstoriaSubject(store, () -> TempFiles.deleteRecursively(directory));
    }

    private static AppendSubject baseline(BenchSettings settings) throws SQLException {
        Path directory = TempFiles.newDirectory(settings.workDirectory());
        SqliteBaseline baseline = SqliteBaseline.create(directory.resolve("baseline.db"));
        return new AppendSubject() {
            @Override
            public Writer writer(int index) throws Exception {
                return baseline.writer(index);
            }

            @Override
            public void close() {
                TempFiles.deleteRecursively(directory);
            }
        };
    }

    // ------------------------------------------------------------------ reads

    private static void reads(BenchSettings settings, List<ResultTable> tables, List<GoalCheck> goals)
            throws Exception {
        Path directory = TempFiles.newDirectory(settings.workDirectory());
        try {
            Path file = directory.resolve("events.db");
            int total = Math.max(settings.readEvents(), settings.heapCheckEvents());
            List<TypeId> streams;
            long populateStart = System.nanoTime();
            try (SqliteEventStore store = SqliteEventStore.open(file)) {
                streams = populate(store, total);
            }
            double populateSeconds = (System.nanoTime() - populateStart) / 1e9;
            settings.progress().step("reads: populated " + Format.number(total) + " events in "
                    + String.format(Locale.ROOT, "%.1f", populateSeconds) + " s");
            ResultTable.Builder table = new ResultTable.Builder("Reads (" + String.format(Locale.ROOT, "%,d", total)
                    + " events)", "read", "Estoria events/s", "raw JDBC events/s", "ratio");
            try (SqliteEventStore store = SqliteEventStore.open(file);
                    Connection raw = SqliteBaseline.connect(file)) {
                ReadRun.Read storeStreams = () -> {
                    long n = 0;
                    for (TypeId stream : streams) {
                        n += ReadRun.drain(store.readStream(stream, ReadStreamOptions.forward()));
                    }
                    return n;
                };
                ReadRun.Read rawStreams = () -> {
                    long n = 0;
                    try (PreparedStatement query = raw.prepareStatement(
                            "SELECT " + COLUMNS + " FROM events WHERE stream_id = ? ORDER BY version")) {
                        for (TypeId stream : streams) {
                            query.setString(1, stream.toString());
                            n += scan(query);
                        }
                    }
                    return n;
                };
                ReadRun.Read storeAll = () -> ReadRun.drain(store.readAll(ReadAllOptions.defaults()));
                ReadRun.Read rawAll = () -> {
                    try (PreparedStatement query = raw.prepareStatement(
                            "SELECT " + COLUMNS + " FROM events ORDER BY position")) {
                        return scan(query);
                    }
                };
                compare(table, "stream reads (" + streams.size() + " streams, forward)",
                        storeStreams, rawStreams, total, settings.repetitions());
                double[] allRatio = compare(table, "catch-up read (whole global log)", storeAll, rawAll, total,
                        settings.repetitions());
                goals.add(GoalCheck.atLeast("catch-up read: ratio to raw JDBC scan", allRatio[0], 0.7));
                settings.progress().step("reads: catch-up at " + Format.ratio(allRatio[0]) + " the raw scan");
            }
            table.note("Raw JDBC: one connection with the same pragmas, the same columns read with getLong/getString/"
                    + "getBytes into nothing (no Event objects). Estoria: every event's position, version and payload"
                    + " length touched. One warm-up pass of each, then " + settings.repetitions() + " alternating"
                    + " repetitions; medians. Populated in " + String.format(Locale.ROOT, "%.1f", populateSeconds)
                    + " s through the store (appends of up to 1,000 events).");
            tables.add(table.build());
            heapCheck(settings, file, total, tables, goals);
        } finally {
            TempFiles.deleteRecursively(directory);
        }
    }

    /** Runs both reads once to warm up, then alternately; adds a row; returns {ratio}. */
    static double[] compare(ResultTable.Builder table, String name, ReadRun.Read store, ReadRun.Read raw, long expected,
            int repetitions) throws Exception {
        ReadRun.eventsPerSecond(store, expected);
        ReadRun.eventsPerSecond(raw, expected);
        double[] s = new double[repetitions];
        double[] r = new double[repetitions];
        for (int i = 0; i < repetitions; i++) {
            s[i] = ReadRun.eventsPerSecond(store, expected);
            r[i] = ReadRun.eventsPerSecond(raw, expected);
        }
        double sm = Stats.median(s);
        double rm = Stats.median(r);
        table.row(name, Format.number(sm), Format.number(rm), Format.ratio(sm / rm));
        return new double[] {sm / rm};
    }

    private static long scan(PreparedStatement query) throws SQLException {
        long count = 0;
        long checksum = 0;
        try (ResultSet rows = query.executeQuery()) {
            while (rows.next()) {
                long position = rows.getLong(1);
                String stream = rows.getString(2);
                long version = rows.getLong(3);
                byte[] uuid = rows.getBytes(4);
                String type = rows.getString(5);
                long micros = rows.getLong(6);
                byte[] data = rows.getBytes(7);
                String contentType = rows.getString(8);
                byte[] metadata = rows.getBytes(9);
                checksum += position + version + data.length + uuid.length + stream.length() + type.length() + micros
                        + contentType.length() + metadata.length;
                count++;
            }
        }
        ReadRun.sink(checksum);
        return count;
    }

    /**
     * Writes {@code total} events into streams of up to 10,000 events, in appends of up to 1,000, from
     * four threads; returns the streams.
     */
    static List<TypeId> populate(dev.estoria.eventstore.EventStore store, int total) throws Exception {
        int streamLength = Math.min(10_000, total);
        int appendSize = Math.min(1_000, streamLength);
        List<TypeId> streams = new ArrayList<>();
        List<Integer> lengths = new ArrayList<>();
        for (int left = total; left > 0; left -= streamLength) {
            streams.add(TypeId.newV7(Payloads.STREAM_TYPE));
            lengths.add(Math.min(left, streamLength));
        }
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int i = 0; i < streams.size(); i++) {
                TypeId stream = streams.get(i);
                int length = lengths.get(i);
                futures.add(pool.submit(() -> {
                    for (int version = 0; version < length; version += appendSize) {
                        int n = Math.min(appendSize, length - version);
                        AppendStreamOptions expected = version == 0 ? AppendStreamOptions.expectingNoStream()
                                : AppendStreamOptions.expectingVersion(version);
                        store.appendStream(stream, Payloads.batch(n), expected);
                    }
                    return null;
                }));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
        return List.copyOf(streams);
    }

    private static void heapCheck(BenchSettings settings, Path file, int stored, List<ResultTable> tables,
            List<GoalCheck> goals) throws Exception {
        ChildJvm.Outcome outcome = ChildJvm.run(BenchSettings.CHILD_HEAP,
                List.of("sqlite", file.toString(), Integer.toString(stored)), 1800);
        tables.add(HeapCheck.table(outcome, stored));
        goals.add(HeapCheck.goal(outcome, stored));
        settings.progress().step("reads: catch-up in a child JVM with -Xmx" + BenchSettings.CHILD_HEAP + ": exit code "
                + outcome.exitCode());
    }

    private static String sqliteVersion() {
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite::memory:");
                ResultSet rs = c.createStatement().executeQuery("SELECT sqlite_version()")) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            return "(unknown version)";
        }
    }
}
