package dev.estoria.sqlite;

import dev.estoria.storetest.CompetingWorkersCheck;
import dev.estoria.storetest.CompetingWorkersCheck.Handled;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.ResultSet;
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
 * through leases in the SQLite file; one is killed with SIGKILL while it works, and the other two
 * take its partitions over once its leases expire.
 *
 * <p>Every handled event is recorded in the file, in commit order ({@code seq}). The test asserts
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
    @DisplayName("3 worker processes share 6 partitions through SQLite leases; one is killed, the others take over")
    void threeWorkersOneKilled() throws Exception {
        Path file = directory.resolve("events.db");
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            store.inWriteTransaction(connection -> {
                try (Statement statement = connection.createStatement()) {
                    return statement.executeUpdate(LeaseWorkerChild.HANDLED_TABLE);
                }
            });
            CompetingWorkersCheck.threeWorkersOneKilled(store, new CompetingWorkersCheck.Workers() {
                @Override
                public Process start(String worker, Path errors) throws IOException {
                    return ChildJvm.start(LeaseWorkerChild.class, List.of(), List.of(file.toString(), worker,
                            Integer.toString(CompetingWorkersCheck.PARTITIONS),
                            Long.toString(CompetingWorkersCheck.LEASE_MILLIS)), errors);
                }

                @Override
                public Set<String> handledIds() {
                    return CompetingWorkersTest.handledIds(store);
                }

                @Override
                public List<Handled> rows() {
                    return CompetingWorkersTest.rows(store);
                }
            }, directory, processes);
        }
    }

    private static Set<String> handledIds(SqliteEventStore store) {
        return store.inReadTransaction(connection -> {
            Set<String> ids = new HashSet<>();
            try (Statement s = connection.createStatement();
                    ResultSet r = s.executeQuery("SELECT DISTINCT event_id FROM handled")) {
                while (r.next()) {
                    ids.add(r.getString(1));
                }
            }
            return ids;
        });
    }

    private static List<Handled> rows(SqliteEventStore store) {
        return store.inReadTransaction(connection -> {
            List<Handled> rows = new ArrayList<>();
            try (Statement s = connection.createStatement();
                    ResultSet r = s.executeQuery("SELECT seq, worker, partition, stream, version, event_id, position, "
                            + "at_ns FROM handled ORDER BY seq")) {
                while (r.next()) {
                    rows.add(new Handled(r.getLong(1), r.getString(2), r.getInt(3), r.getString(4), r.getLong(5),
                            r.getString(6), r.getLong(7), r.getLong(8)));
                }
            }
            return rows;
        });
    }
}
