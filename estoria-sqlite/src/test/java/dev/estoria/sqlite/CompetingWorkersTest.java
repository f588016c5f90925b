package dev.estoria.sqlite;

import static dev.estoria.storetest.CompetingWorkersCheck.assertEveryEventHandled;
import static dev.estoria.storetest.CompetingWorkersCheck.assertNoPartitionSharedByLiveWorkers;
import static dev.estoria.storetest.CompetingWorkersCheck.assertStreamOrderPerWorker;
import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.PartitionedProjection;
import dev.estoria.storetest.CompetingWorkersCheck.Handled;
import dev.estoria.typeid.TypeId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
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

    private static final int PARTITIONS = 6;
    private static final long LEASE_MILLIS = 1_000;
    private static final int STREAMS = 36;

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

    /** What the workers said, shared with the threads reading their output. */
    private static final class Reports {
        final Map<String, Set<Integer>> owned = new HashMap<>();
        final Map<String, Integer> handled = new HashMap<>();
        final Set<String> stopped = new HashSet<>();

        synchronized void line(String worker, String line) {
            if (line.startsWith("OWNS ")) {
                Set<Integer> partitions = new TreeSet<>();
                for (String p : line.substring(5).split(",")) {
                    if (!p.isBlank()) {
                        partitions.add(Integer.parseInt(p.trim()));
                    }
                }
                owned.put(worker, partitions);
            } else if (line.startsWith("HANDLED ")) {
                handled.put(worker, Integer.parseInt(line.substring(8).trim()));
            } else if (line.equals("STOPPED")) {
                stopped.add(worker);
            }
            notifyAll();
        }

        synchronized boolean await(BooleanSupplier condition, long seconds) throws InterruptedException {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
            while (!condition.getAsBoolean()) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                wait(left);
            }
            return true;
        }

        synchronized int ownedCount(String worker) {
            return owned.getOrDefault(worker, Set.of()).size();
        }
    }


    @Test
    @Timeout(90)
    @DisplayName("3 worker processes share 6 partitions through SQLite leases; one is killed, the others take over")
    void threeWorkersOneKilled() throws Exception {
        Path file = directory.resolve("events.db");
        List<String> workers = List.of("w1", "w2", "w3");
        String victim = "w2";
        Map<String, Event> appended = new LinkedHashMap<>();
        // The same number of streams in every partition.
        List<TypeId> streams = new ArrayList<>();
        int[] perPartition = new int[PARTITIONS];
        while (streams.size() < STREAMS) {
            TypeId stream = TypeId.newV7("account");
            int partition = PartitionedProjection.partitionOf(stream, PARTITIONS);
            if (perPartition[partition] < STREAMS / PARTITIONS) {
                perPartition[partition]++;
                streams.add(stream);
            }
        }
        Reports reports = new Reports();
        Map<String, Path> stderr = new HashMap<>();
        long killedAt;
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            store.inWriteTransaction(connection -> {
                try (Statement statement = connection.createStatement()) {
                    return statement.executeUpdate(LeaseWorkerChild.HANDLED_TABLE);
                }
            });
            appendRound(store, streams, 3, appended);

            for (String worker : workers) {
                Path errors = directory.resolve(worker + ".err");
                stderr.put(worker, errors);
                Process process = ChildJvm.start(LeaseWorkerChild.class, List.of(),
                        List.of(file.toString(), worker, Integer.toString(PARTITIONS), Long.toString(LEASE_MILLIS)), errors);
                processes.add(process);
                BufferedReader out = ChildJvm.stdout(process);
                Thread.ofPlatform().daemon().start(() -> {
                    try {
                        for (String line = out.readLine(); line != null; line = out.readLine()) {
                            reports.line(worker, line);
                        }
                    } catch (IOException ignored) {
                        // The process ended.
                    }
                });
            }
            // Every worker gets its fair share of two partitions.
            assertThat(reports.await(() -> workers.stream().allMatch(w -> reports.ownedCount(w) == 2), 30))
                    .as("all three workers hold two partitions each; stderr: %s", errorsOf(stderr)).isTrue();

            // More events while they run; the victim is killed as soon as it has handled one of them.
            int before;
            synchronized (reports) {
                before = reports.handled.getOrDefault(victim, 0);
            }
            appendRound(store, streams, 2, appended);
            assertThat(reports.await(() -> reports.handled.getOrDefault(victim, 0) > before, 30))
                    .as("the victim handles new events; stderr: %s", errorsOf(stderr)).isTrue();
            Set<Integer> victimPartitions;
            synchronized (reports) {
                victimPartitions = Set.copyOf(reports.owned.get(victim));
            }
            Process victimProcess = processes.get(workers.indexOf(victim));
            killedAt = System.nanoTime();
            victimProcess.destroyForcibly();
            assertThat(victimProcess.waitFor(10, TimeUnit.SECONDS)).isTrue();
            appendRound(store, streams, 2, appended);

            // The survivors rebalance to three partitions each, and handle everything.
            List<String> survivors = workers.stream().filter(w -> !w.equals(victim)).toList();
            assertThat(reports.await(() -> survivors.stream().allMatch(w -> reports.ownedCount(w) == 3), 30))
                    .as("the survivors take the victim's partitions over; stderr: %s", errorsOf(stderr)).isTrue();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            Set<String> handledIds = handledIds(store);
            while (!handledIds.containsAll(appended.keySet()) && System.nanoTime() < deadline) {
                // The survivors announce every event they handle: look again on each announcement.
                synchronized (reports) {
                    reports.wait(200);
                }
                handledIds = handledIds(store);
            }
            for (String survivor : survivors) {
                try (OutputStream in = processes.get(workers.indexOf(survivor)).getOutputStream()) {
                    in.write("STOP\n".getBytes(StandardCharsets.UTF_8));
                }
            }
            for (String survivor : survivors) {
                Process process = processes.get(workers.indexOf(survivor));
                assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("%s stops", survivor).isTrue();
                assertThat(process.exitValue()).as("%s exit; stderr: %s", survivor, errorsOf(stderr)).isZero();
            }
            List<Handled> rows = rows(store);
            int replays = assertNoPartitionSharedByLiveWorkers(rows, PARTITIONS, victim, killedAt);
            assertStreamOrderPerWorker(rows);
            assertEveryEventHandled(rows, appended, PARTITIONS);
            assertThat(replays).as("events handled again after the kill").isLessThanOrEqualTo(victimPartitions.size());
            // The victim's partitions were taken over after its death, by the survivors.
            for (int partition : victimPartitions) {
                assertThat(rows).filteredOn(r -> r.partition() == partition && r.atNanos() > killedAt)
                        .as("partition %d after the kill", partition).isNotEmpty()
                        .allSatisfy(r -> assertThat(r.worker()).isIn(survivors));
            }
            assertThat(rows).filteredOn(r -> r.worker().equals(victim)).isNotEmpty()
                    .allSatisfy(r -> assertThat(r.atNanos()).isLessThan(killedAt));
        }
    }

    private static void appendRound(SqliteEventStore store, List<TypeId> streams, int perStream,
            Map<String, Event> appended) {
        for (TypeId stream : streams) {
            List<WritableEvent> batch = new ArrayList<>();
            for (int i = 0; i < perStream; i++) {
                batch.add(WritableEvent.json("deposited", "{}"));
            }
            for (Event event : store.appendStream(stream, batch)) {
                appended.put(event.id().toString(), event);
            }
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

    private static String errorsOf(Map<String, Path> stderr) {
        StringBuilder text = new StringBuilder();
        stderr.forEach((worker, path) -> text.append('\n').append(worker).append(": ").append(ChildJvm.errors(path)));
        return text.toString();
    }
}
