package dev.estoria.postgres;

import dev.estoria.storetest.CompetingWorkersCheck;
import dev.estoria.storetest.CompetingWorkersCheck.Handled;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Competing consumers across processes: three worker JVMs share one projection of six partitions
 * through leases in the PostgreSQL schema; one is killed with SIGKILL while it works, and the other
 * two take its partitions over once its leases expire (by the server's clock).
 *
 * <p>Every handled event is recorded in the schema, each committed before the worker handles the
 * next, numbered from a sequence ({@code seq}): within a partition, which one worker at a time
 * handles, that is handling order. The test asserts
 * that every event was handled at least once; that each worker handled each stream's events in
 * version order; and that no partition was ever worked by two live workers at once: per partition,
 * in commit order, the handled global positions strictly increase across every change of worker
 * (a worker that gives a partition up saves its checkpoint before releasing the lease, and the next
 * one starts from it), except where a survivor takes over from the killed worker after its death and
 * handles again the one event the killed worker handled but did not checkpoint (at-least-once).
 */
class CompetingWorkersTest {

    @TempDir
    Path directory;

    private final TestDatabase db = TestDatabase.get();

    private final List<Process> processes = new ArrayList<>();

    @AfterEach
    void killLeftovers() throws InterruptedException {
        for (Process process : processes) {
            process.destroyForcibly();
            process.waitFor(10, TimeUnit.SECONDS);
        }
    }

    @Test
    @Timeout(90)
    @DisplayName("3 worker processes share 6 partitions through PostgreSQL leases; one is killed, the others take over")
    void threeWorkersOneKilled() throws Exception {
        PostgresEventStore store = db.newStore();
        String schema = store.options().schema();
        try {
            try (Connection c = db.connect(); Statement statement = c.createStatement()) {
                statement.execute(LeaseWorkerChild.handledTable(schema));
            }
            CompetingWorkersCheck.threeWorkersOneKilled(store, new CompetingWorkersCheck.Workers() {
                @Override
                public Process start(String worker, Path errors) throws java.io.IOException {
                    return new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                            "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path"),
                            LeaseWorkerChild.class.getName(), db.jdbcUrl, schema, worker,
                            Integer.toString(CompetingWorkersCheck.PARTITIONS),
                            Long.toString(CompetingWorkersCheck.LEASE_MILLIS)).redirectError(errors.toFile()).start();
                }

                @Override
                public Set<String> handledIds() throws SQLException {
                    return CompetingWorkersTest.this.handledIds(schema);
                }

                @Override
                public List<Handled> rows() throws SQLException {
                    return CompetingWorkersTest.this.rows(schema);
                }
            }, directory, processes);
        } finally {
            killLeftovers();
            db.discard(store);
        }
    }

    private Set<String> handledIds(String schema) throws SQLException {
        Set<String> ids = new HashSet<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT DISTINCT event_id FROM \"" + schema + "\".handled")) {
            while (r.next()) {
                ids.add(r.getString(1));
            }
        }
        return ids;
    }

    private List<Handled> rows(String schema) throws SQLException {
        List<Handled> rows = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet r = s.executeQuery("SELECT seq, worker, partition, stream, version, event_id, position, "
                        + "at_ns FROM \"" + schema + "\".handled ORDER BY seq")) {
            while (r.next()) {
                rows.add(new Handled(r.getLong(1), r.getString(2), r.getInt(3), r.getString(4), r.getLong(5),
                        r.getString(6), r.getLong(7), r.getLong(8)));
            }
        }
        return rows;
    }
}
