package dev.estoria.bench;

import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.postgres.PostgresEventStore;
import dev.estoria.postgres.PostgresOptions;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.OffsetDateTime;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The PostgreSQL benchmark, against one database in one run: appends of {@link PostgresEventStore}
 * beside (i) an unprotected one-transaction-per-append baseline, (ii) the original's allocator-row
 * design (both {@link PostgresBaseline}), (iii) Axon Framework's JDBC event storage engine ({@link
 * AxonSubject}), and Estoria's own strict mode for reference; then catch-up reads beside a raw JDBC
 * scan of the same table and Axon's own reader, and a catch-up read in a child JVM with a 256 MiB
 * heap.
 *
 * <p>Every subject of every run gets a fresh schema named {@code bench_<run>_<n>}, dropped after
 * the run; schemas of the run still present at the end are dropped too.
 *
 * <p>Goals: at 16 and 64 writers at least 2x (i), 2x (iii) and 6x (ii); at 1 writer within 10% of
 * (i); catch-up reads at least 0.7x the raw scan; the heap check completes.
 */
public final class PostgresBenchmark {

    private static final String ESTORIA = "Estoria";
    private static final String STRICT = "Estoria strict";
    private static final String UNPROTECTED = "(i) unprotected";
    private static final String ALLOCATOR = "(ii) allocator row";
    private static final String AXON = "(iii) Axon JDBC";
    private static final String COLUMNS = "position, stream_type, stream_uuid, version, event_type, event_uuid,"
            + " recorded_at, data, content_type, metadata";

    private final BenchSettings settings;
    private final String url;
    private final String runId = "bench_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
    private final AtomicInteger schemas = new AtomicInteger();

    private PostgresBenchmark(BenchSettings settings, String url) {
        this.settings = settings;
        this.url = url;
    }

    /** The parts of the benchmark, to run a subset. */
    public enum Part {
        /** Concurrent appends against the three baselines and strict mode. */
        APPENDS,
        /** Catch-up reads against a raw scan and Axon's reader, and the small-heap catch-up check. */
        READS
    }

    /** Runs every part against the database at {@code jdbcUrl} (credentials included). */
    public static BenchReport run(BenchSettings settings, String jdbcUrl) throws Exception {
        return run(settings, jdbcUrl, Part.values());
    }

    /** Runs the given parts against the database at {@code jdbcUrl}. */
    public static BenchReport run(BenchSettings settings, String jdbcUrl, Part... parts) throws Exception {
        return new PostgresBenchmark(settings, jdbcUrl).runParts(parts);
    }

    private BenchReport runParts(Part... parts) throws Exception {
        List<ResultTable> tables = new ArrayList<>();
        List<GoalCheck> goals = new ArrayList<>();
        String server;
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT current_setting('server_version'),"
                        + " current_setting('synchronous_commit'), current_setting('fsync'),"
                        + " current_setting('max_connections')")) {
            rs.next();
            server = "PostgreSQL " + rs.getString(1) + " (synchronous_commit=" + rs.getString(2) + ", fsync="
                    + rs.getString(3) + ", max_connections=" + rs.getString(4) + "), schemas " + runId + "_*";
        }
        try {
            for (Part part : parts) {
                switch (part) {
                    case APPENDS -> appends(tables, goals);
                    case READS -> reads(tables, goals);
                }
            }
        } finally {
            dropRunSchemas();
        }
        return new BenchReport("PostgreSQL: PostgresEventStore vs baselines and Axon", List.of(settings.describe(),
                server, "Estoria: default options (watermark positions, 1 writer lane, pool of 10); baselines and"
                        + " Axon: a HikariCP pool with one connection per writer", Environment.describe()),
                tables, goals);
    }

    // ------------------------------------------------------------------ appends

    private record Cell(int writers, int events) {
    }

    private void appends(List<ResultTable> tables, List<GoalCheck> goals) throws Exception {
        Map<String, AppendSubject.Factory> subjects = new LinkedHashMap<>();
        subjects.put(ESTORIA, writers -> estoria(PostgresOptions.defaults()));
        subjects.put(UNPROTECTED, writers -> baseline(PostgresBaseline.Design.UNPROTECTED, writers));
        subjects.put(ALLOCATOR, writers -> baseline(PostgresBaseline.Design.ALLOCATOR, writers));
        subjects.put(AXON, writers -> {
            String schema = newSchema();
            return AxonSubject.create(url, schema, writers, () -> dropSchema(schema));
        });
        subjects.put(STRICT, writers -> estoria(PostgresOptions.strict()));

        List<Cell> cells = new ArrayList<>();
        for (int writers : settings.postgresWriters()) {
            cells.add(new Cell(writers, 1));
        }
        cells.add(new Cell(settings.postgresBatchWriters(), 10));

        List<String> rateColumns = new ArrayList<>(List.of("writers", "events/append"));
        List<String> latencyColumns = new ArrayList<>(List.of("writers", "events/append"));
        for (String name : subjects.keySet()) {
            rateColumns.add(name + " appends/s");
            latencyColumns.add(name + " p50 / p99 ms");
        }
        rateColumns.addAll(List.of("vs (i)", "vs (ii)", "vs (iii)", "vs strict"));
        List<List<String>> rateRows = new ArrayList<>();
        List<List<String>> latencyRows = new ArrayList<>();
        // The first subject of a fresh JVM would otherwise be measured while the JIT compiles the
        // driver and pool paths every subject shares: one unrecorded run of each first.
        for (Map.Entry<String, AppendSubject.Factory> subject : subjects.entrySet()) {
            WriteRun.Result r = WriteRun.run(subject.getValue(), 1, 1, settings.warmup(), settings.warmup());
            settings.progress().step("JVM warm-up, " + subject.getKey() + ": " + Format.number(r.appendsPerSecond())
                    + " appends/s (not recorded)");
        }
        for (Cell cell : cells) {
            Map<String, List<WriteRun.Result>> results = new LinkedHashMap<>();
            subjects.keySet().forEach(name -> results.put(name, new ArrayList<>()));
            for (int rep = 0; rep < settings.repetitions(); rep++) {
                for (Map.Entry<String, AppendSubject.Factory> subject : subjects.entrySet()) {
                    WriteRun.Result r = WriteRun.run(subject.getValue(), cell.writers(), cell.events(),
                            settings.warmup(), settings.measure());
                    results.get(subject.getKey()).add(r);
                    settings.progress().step("appends, " + cell.writers() + " writers x " + cell.events()
                            + " event(s), repetition " + (rep + 1) + "/" + settings.repetitions() + ", "
                            + subject.getKey() + ": " + Format.number(r.appendsPerSecond()) + " appends/s");
                }
            }
            Map<String, WriteRun.Summary> summary = new LinkedHashMap<>();
            results.forEach((name, list) -> summary.put(name, WriteRun.Summary.of(list)));
            List<String> rateRow = new ArrayList<>(List.of(Integer.toString(cell.writers()),
                    Integer.toString(cell.events())));
            List<String> latencyRow = new ArrayList<>(rateRow);
            summary.forEach((name, s) -> {
                rateRow.add(Format.number(s.appendsPerSecond()));
                latencyRow.add(Format.millis(s.p50Nanos()) + " / " + Format.millis(s.p99Nanos()));
            });
            double estoria = summary.get(ESTORIA).appendsPerSecond();
            double vsUnprotected = estoria / summary.get(UNPROTECTED).appendsPerSecond();
            double vsAllocator = estoria / summary.get(ALLOCATOR).appendsPerSecond();
            double vsAxon = estoria / summary.get(AXON).appendsPerSecond();
            double vsStrict = estoria / summary.get(STRICT).appendsPerSecond();
            rateRow.addAll(List.of(Format.ratio(vsUnprotected), Format.ratio(vsAllocator), Format.ratio(vsAxon),
                    Format.ratio(vsStrict)));
            rateRows.add(rateRow);
            latencyRows.add(latencyRow);
            String label = cell.writers() + " writers x " + cell.events() + " event(s)";
            if (cell.events() == 1 && cell.writers() == 1) {
                goals.add(GoalCheck.atLeast("appends, " + label + ": ratio to (i) (within 10%)", vsUnprotected, 0.9));
            } else if (cell.events() == 1 && cell.writers() >= 16) {
                goals.add(GoalCheck.atLeast("appends, " + label + ": ratio to (i) unprotected", vsUnprotected, 2));
                goals.add(GoalCheck.atLeast("appends, " + label + ": ratio to (iii) Axon", vsAxon, 2));
                goals.add(GoalCheck.atLeast("appends, " + label + ": ratio to (ii) allocator row", vsAllocator, 6));
            }
        }
        String note = "Each figure is the median of " + settings.repetitions() + " repetitions; every repetition of"
                + " every subject runs on a fresh schema, subjects in turn, after one unrecorded 1-writer run of each"
                + " to warm up the JVM. Every writer appends to its own stream"
                + " (Axon: its own aggregate) with an exact expected version (Axon: the next sequence numbers).";
        tables.add(new ResultTable("Appends per second", rateColumns, rateRows, List.of(note,
                "(i): per append, one transaction: conditional stream-row update (insert for a new stream), then"
                        + " plain INSERTs with a bigserial position; no ordering protection. (ii): the original's"
                        + " allocator row (UPDATE ... SET last_position = last_position + n RETURNING, held until"
                        + " commit), then the stream row, then the inserts. (iii): Axon Framework 4.13.0"
                        + " JdbcEventStorageEngine, Jackson serializer, PostgresEventTableFactory schema. Estoria"
                        + " strict: PostgresOptions.strict(), the allocator design with group commit.")));
        tables.add(new ResultTable("Append latency (per append)", latencyColumns, latencyRows, List.of(note)));
    }

    private AppendSubject estoria(PostgresOptions options) {
        String schema = newSchema();
        PostgresEventStore store = PostgresEventStore.open(url, options.withSchema(schema)
                .withFeedCheckInterval(Duration.ZERO));
        return new EstoriaSubject(store, () -> dropSchema(schema));
    }

    private AppendSubject baseline(PostgresBaseline.Design design, int writers) throws SQLException {
        String schema = newSchema();
        return PostgresBaseline.create(design, url, schema, writers, () -> dropSchema(schema));
    }

    // ------------------------------------------------------------------ reads

    private void reads(List<ResultTable> tables, List<GoalCheck> goals) throws Exception {
        int total = Math.max(settings.readEvents(), settings.heapCheckEvents());
        String schema = newSchema();
        String axonSchema = newSchema();
        try {
            long populateStart = System.nanoTime();
            try (PostgresEventStore store = PostgresEventStore.open(url, PostgresOptions.defaults().withSchema(schema)
                    .withFeedCheckInterval(Duration.ZERO))) {
                SqliteBenchmark.populate(store, total);
            }
            double populateSeconds = (System.nanoTime() - populateStart) / 1e9;
            settings.progress().step("reads: populated " + Format.number(total) + " events in "
                    + String.format(Locale.ROOT, "%.1f", populateSeconds) + " s");
            vacuum(schema);
            ResultTable.Builder table = new ResultTable.Builder("Catch-up reads (" + String.format(Locale.ROOT, "%,d",
                    total) + " events)", "read", "events/s", "ratio to the faster raw JDBC scan");
            double estoria;
            double text;
            double binary;
            try (PostgresEventStore store = PostgresEventStore.open(url, PostgresOptions.defaults().withSchema(schema)
                    .withFeedCheckInterval(Duration.ZERO));
                    Connection binaryConnection = DriverManager.getConnection(url);
                    Connection textConnection = DriverManager.getConnection(url, textOnly())) {
                binaryConnection.setAutoCommit(false);
                textConnection.setAutoCommit(false);
                ReadRun.Read storeAll = () -> ReadRun.drain(store.readAll(ReadAllOptions.defaults()));
                String sql = "SELECT " + COLUMNS + " FROM \"" + schema + "\".events ORDER BY position";
                ReadRun.Read rawText = () -> scan(textConnection, sql, false);
                ReadRun.Read rawBinary = () -> scan(binaryConnection, sql, true);
                ReadRun.eventsPerSecond(storeAll, total);
                ReadRun.eventsPerSecond(rawText, total);
                ReadRun.eventsPerSecond(rawBinary, total);
                double[] s = new double[settings.repetitions()];
                double[] t = new double[settings.repetitions()];
                double[] b = new double[settings.repetitions()];
                for (int i = 0; i < settings.repetitions(); i++) {
                    s[i] = ReadRun.eventsPerSecond(storeAll, total);
                    t[i] = ReadRun.eventsPerSecond(rawText, total);
                    b[i] = ReadRun.eventsPerSecond(rawBinary, total);
                }
                estoria = Stats.median(s);
                text = Stats.median(t);
                binary = Stats.median(b);
            }
            // The goal is measured against the faster raw scan, whichever result format that is.
            double raw = Math.max(text, binary);
            table.row("Estoria readAll (whole global log)", Format.number(estoria), Format.ratio(estoria / raw));
            table.row("raw JDBC scan, binary results", Format.number(binary), Format.ratio(binary / raw));
            table.row("raw JDBC scan, text results", Format.number(text), Format.ratio(text / raw));
            goals.add(GoalCheck.atLeast("catch-up read: ratio to the faster raw JDBC scan", estoria / raw, 0.7));
            settings.progress().step("reads: catch-up at " + Format.ratio(estoria / raw) + " the faster raw scan");

            long axonStart = System.nanoTime();
            double axon;
            try (AxonSubject subject = AxonSubject.create(url, axonSchema, 5, () -> { })) {
                populateAxon(subject, total);
                double axonPopulate = (System.nanoTime() - axonStart) / 1e9;
                vacuum(axonSchema);
                ReadRun.Read axonAll = subject::readAll;
                ReadRun.eventsPerSecond(axonAll, total);
                double[] a = new double[settings.repetitions()];
                for (int i = 0; i < settings.repetitions(); i++) {
                    a[i] = ReadRun.eventsPerSecond(axonAll, total);
                }
                axon = Stats.median(a);
                table.row("Axon readEvents (its own table, same event count)", Format.number(axon),
                        Format.ratio(axon / raw));
                table.note(String.format(Locale.ROOT, "Populated through each store in appends of up to 1,000"
                        + " events from 4 threads (Estoria %.1f s, Axon %.1f s), then VACUUM ANALYZE. Raw scans: one"
                        + " transaction, fetch size 256 (as the store), the same columns read with getLong/getString/"
                        + "getObject/getBytes, no Event objects; binary results asked for from the first run (as"
                        + " the store's long reads do), or text results from a connection with prepareThreshold=0"
                        + " (what the driver's defaults give for a statement's first four runs). Ratios are to the"
                        + " faster raw scan. Axon: readEvents(null, false) with its default batch"
                        + " size, messages not deserialized. One warm-up pass each, then %d repetitions; medians.",
                        populateSeconds, axonPopulate, settings.repetitions()));
            }
            dropSchema(axonSchema);
            tables.add(table.build());
            ChildJvm.Outcome outcome = ChildJvm.run(BenchSettings.CHILD_HEAP,
                    List.of("postgres", url, schema, Integer.toString(total)), 1800);
            tables.add(HeapCheck.table(outcome, total));
            goals.add(HeapCheck.goal(outcome, total));
            settings.progress().step("reads: catch-up in a child JVM with -Xmx" + BenchSettings.CHILD_HEAP + ": exit code "
                    + outcome.exitCode());
        } finally {
            dropSchema(schema);
            dropSchema(axonSchema);
        }
    }

    /**
     * Properties of a connection that never prepares statements on the server, and so always gets
     * text results: what the driver's defaults give for the first four runs of a statement.
     */
    private static java.util.Properties textOnly() {
        java.util.Properties properties = new java.util.Properties();
        properties.setProperty("prepareThreshold", "0");
        return properties;
    }

    /**
     * Reads every row as the store does, without making events. With {@code binary}, the results
     * come in binary format from the first run, as the store asks for them.
     */
    private static long scan(Connection c, String sql, boolean binary) throws SQLException {
        long count = 0;
        long checksum = 0;
        try (PreparedStatement s = c.prepareStatement(sql)) {
            s.setFetchSize(256);
            if (binary) {
                s.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(-1);
            }
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    long position = rs.getLong(1);
                    String streamType = rs.getString(2);
                    UUID stream = rs.getObject(3, UUID.class);
                    long version = rs.getLong(4);
                    String type = rs.getString(5);
                    UUID id = rs.getObject(6, UUID.class);
                    OffsetDateTime at = rs.getObject(7, OffsetDateTime.class);
                    byte[] data = rs.getBytes(8);
                    String contentType = rs.getString(9);
                    byte[] metadata = rs.getBytes(10);
                    checksum += position + version + streamType.length() + stream.hashCode() + type.length()
                            + id.hashCode() + at.getNano() + data.length + contentType.length() + metadata.length;
                    count++;
                }
            }
        } finally {
            c.commit();
        }
        ReadRun.sink(checksum);
        return count;
    }

    private static void populateAxon(AxonSubject subject, int total) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int left = total; left > 0; left -= 1_000) {
                int n = Math.min(1_000, left);
                futures.add(pool.submit(() -> subject.appendBatch(n)));
            }
            for (Future<?> future : futures) {
                future.get();
            }
        } finally {
            pool.shutdownNow();
        }
    }

    // ------------------------------------------------------------------ schemas

    private String newSchema() {
        return runId + "_" + schemas.incrementAndGet();
    }

    private void vacuum(String schema) throws SQLException {
        List<String> tablesOfSchema = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement q = c.prepareStatement("SELECT tablename FROM pg_tables WHERE schemaname = ?")) {
            q.setString(1, schema);
            try (ResultSet rs = q.executeQuery()) {
                while (rs.next()) {
                    tablesOfSchema.add(rs.getString(1));
                }
            }
            try (Statement s = c.createStatement()) {
                for (String table : tablesOfSchema) {
                    s.execute("VACUUM ANALYZE \"" + schema + "\".\"" + table + '"');
                }
            }
        }
    }

    private void dropSchema(String schema) {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
        } catch (SQLException e) {
            throw new IllegalStateException("could not drop schema " + schema + ": " + e.getMessage(), e);
        }
    }

    private void dropRunSchemas() throws SQLException {
        List<String> left = new ArrayList<>();
        try (Connection c = DriverManager.getConnection(url);
                PreparedStatement s = c.prepareStatement(
                        "SELECT nspname FROM pg_namespace WHERE starts_with(nspname, ?)")) {
            s.setString(1, runId + "_");
            try (ResultSet rs = s.executeQuery()) {
                while (rs.next()) {
                    left.add(rs.getString(1));
                }
            }
        }
        for (String schema : left) {
            dropSchema(schema);
        }
    }
}
