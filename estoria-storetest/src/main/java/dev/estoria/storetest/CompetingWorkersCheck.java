package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.CheckpointStore;
import dev.estoria.projection.LeaseStore;
import dev.estoria.projection.PartitionedProjection;
import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionProcessor;
import dev.estoria.typeid.TypeId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;

/**
 * Checks a record of what several {@link PartitionedProjection} workers handled, for a store's own
 * multi-process test of its {@link dev.estoria.projection.LeaseStore}: every event handled, each
 * stream in version order per worker, and no partition worked by two live workers at once.
 *
 * <p>The test has each worker record every event it handles ({@link Handled}) in the store's own
 * database, in commit order, kills one worker, and passes the rows here.
 */
public final class CompetingWorkersCheck {

    /** The partitions of the scenario's projection. */
    public static final int PARTITIONS = 6;
    /** How long a worker's lease lasts in the scenario, in milliseconds. */
    public static final long LEASE_MILLIS = 1_000;
    private static final int STREAMS = 36;

    private CompetingWorkersCheck() {
    }

    /**
     * What a store's test provides to {@link #threeWorkersOneKilled}: worker processes, and the
     * record of what they handled. A worker runs a {@link PartitionedProjection} of {@link
     * #PARTITIONS} partitions with leases of {@link #LEASE_MILLIS} ms in the store's database, records
     * every event it handles there, prints {@code OWNS p,q,...} whenever its partitions change and
     * {@code HANDLED n} as it goes, and stops cleanly, printing {@code STOPPED}, when it reads {@code
     * STOP} on its standard input.
     */
    public interface Workers {
        /** Starts the worker named {@code worker}, its standard error going to {@code errors}. */
        Process start(String worker, Path errors) throws IOException;

        /** The IDs of the events recorded as handled so far. */
        Set<String> handledIds() throws Exception;

        /** Every handled record, in commit order. */
        List<Handled> rows() throws Exception;
    }

    /**
     * The competing-consumers scenario: three worker processes share the partitions; one is killed
     * with SIGKILL while it works, and the other two take its partitions over once its leases
     * expire. Then every {@code assert...} of this class, plus: at most one event per partition of
     * the killed worker is handled again, its partitions go to the survivors after its death, and
     * nothing of it is recorded after its death.
     *
     * @param store the store the workers read, into which the scenario appends
     * @param fixture starts the workers and reads their record
     * @param directory where the workers' standard error files go
     * @param started receives every started process, for the test to kill if it fails early
     */
    public static void threeWorkersOneKilled(EventStore store, Workers fixture, Path directory,
            List<Process> started) throws Exception {
        List<String> workerNames = List.of("w1", "w2", "w3");
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
        List<Process> processes = new ArrayList<>();
        appendRound(store, streams, 3, appended);
        for (String worker : workerNames) {
            Path errors = directory.resolve(worker + ".err");
            stderr.put(worker, errors);
            Process process = fixture.start(worker, errors);
            started.add(process);
            processes.add(process);
            BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8));
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
        long killedAt;
        // Every worker gets its fair share of two partitions.
        assertThat(reports.await(() -> workerNames.stream().allMatch(w -> reports.ownedCount(w) == 2), 30))
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
        Process victimProcess = processes.get(workerNames.indexOf(victim));
        killedAt = System.nanoTime();
        victimProcess.destroyForcibly();
        assertThat(victimProcess.waitFor(10, TimeUnit.SECONDS)).isTrue();
        // The signal takes a moment to land: the victim may still handle an event after killedAt,
        // but none after deadAt.
        long deadAt = System.nanoTime();
        appendRound(store, streams, 2, appended);

        // The survivors rebalance to three partitions each, and handle everything.
        List<String> survivors = workerNames.stream().filter(w -> !w.equals(victim)).toList();
        assertThat(reports.await(() -> survivors.stream().allMatch(w -> reports.ownedCount(w) == 3), 30))
                .as("the survivors take the victim's partitions over; stderr: %s", errorsOf(stderr)).isTrue();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        Set<String> handledIds = fixture.handledIds();
        while (!handledIds.containsAll(appended.keySet()) && System.nanoTime() < deadline) {
            // The survivors announce every event they handle: look again on each announcement.
            synchronized (reports) {
                reports.wait(200);
            }
            handledIds = fixture.handledIds();
        }
        for (String survivor : survivors) {
            try (OutputStream in = processes.get(workerNames.indexOf(survivor)).getOutputStream()) {
                in.write("STOP\n".getBytes(StandardCharsets.UTF_8));
            }
        }
        for (String survivor : survivors) {
            Process process = processes.get(workerNames.indexOf(survivor));
            assertThat(process.waitFor(30, TimeUnit.SECONDS)).as("%s stops", survivor).isTrue();
            assertThat(process.exitValue()).as("%s exit; stderr: %s", survivor, errorsOf(stderr)).isZero();
        }
        List<Handled> rows = fixture.rows();
        Set<String> lapsed = lapsedSaves(stderr);
        int replays = assertNoPartitionSharedByLiveWorkers(rows, PARTITIONS, victim, killedAt, lapsed);
        assertStreamOrderPerWorker(rows, lapsed);
        assertEveryEventHandled(rows, appended, PARTITIONS);
        assertThat(replays).as("events handled again after the kill").isLessThanOrEqualTo(victimPartitions.size());
        // The victim's partitions were taken over after its death, by the survivors.
        for (int partition : victimPartitions) {
            assertThat(rows).filteredOn(r -> r.partition() == partition && r.atNanos() > deadAt)
                    .as("partition %d after the kill", partition).isNotEmpty()
                    .allSatisfy(r -> assertThat(r.worker()).isIn(survivors));
        }
        assertThat(rows).filteredOn(r -> r.worker().equals(victim)).isNotEmpty()
                .allSatisfy(r -> assertThat(r.atNanos()).isLessThan(deadAt));
    }

    /** Records one handled event in the store's database, committed before it returns. */
    @FunctionalInterface
    public interface Recorder {
        void record(String worker, int partition, Event event, long atNanos) throws Exception;
    }

    /**
     * The body of a worker process of {@link #threeWorkersOneKilled}: runs the scenario's projection
     * ({@code competing} version 1) over the given stores, records each event it handles, speaks the
     * protocol described at {@link Workers} on standard output and input, and returns once stopped.
     *
     * @param reader the store's global reader (its event store)
     */
    public static void runWorker(GlobalReader reader, CheckpointStore checkpoints, LeaseStore leases, String worker,
            int partitions, Duration ttl, Recorder recorder) throws Exception {
        PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
        AtomicInteger handled = new AtomicInteger();
        PartitionedProjection projection = PartitionedProjection.start(reader, checkpoints, leases,
                ProjectionId.of("competing", 1), event -> {
                    recorder.record(worker, PartitionedProjection.partitionOf(event.streamId(), partitions), event,
                            System.nanoTime());
                    out.println("HANDLED " + handled.incrementAndGet());
                },
                new PartitionedProjection.Settings(partitions, worker, ttl, ProjectionProcessor.Options.defaults()
                        .checkpointEvery(1).batchSize(50).pollInterval(Duration.ofMillis(100))));
        Thread reporter = Thread.ofPlatform().daemon().start(() -> {
            Set<Integer> last = Set.of();
            while (true) {
                Set<Integer> owned = new TreeSet<>(projection.ownedPartitions());
                if (!owned.equals(last)) {
                    out.println("OWNS " + String.join(",", owned.stream().map(String::valueOf).toList()));
                    last = owned;
                }
                try {
                    Thread.sleep(20); // a watcher that reports; nothing waits on its timing
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
        String line;
        do {
            line = in.readLine();
        } while (line != null && !line.equals("STOP"));
        reporter.interrupt();
        projection.close();
        out.println("STOPPED");
    }

    private static void appendRound(EventStore store, List<TypeId> streams, int perStream,
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

    /** What a worker logs when its lease lapsed by its own clock after it handled the event at a position. */
    private static final java.util.regex.Pattern LAPSED_SAVE = java.util.regex.Pattern.compile(
            "not saving checkpoint (\\d+) of competing_p(\\d+)_v1: the lease lapsed");

    /**
     * The checkpoint saves each worker's lease fence refused, as {@link #lapsed} keys, read from the
     * workers' standard error. A worker whose renewal was slow (a loaded machine, a store lock held
     * long) stops handling when its lease lapses by its own clock, but the event it handled just
     * before keeps its checkpoint unsaved, so whoever works the partition next handles it again:
     * at-least-once, not two live workers at once.
     */
    static Set<String> lapsedSaves(Map<String, Path> stderr) throws IOException {
        Set<String> lapsed = new HashSet<>();
        for (var entry : stderr.entrySet()) {
            if (!Files.exists(entry.getValue())) {
                continue;
            }
            var matcher = LAPSED_SAVE.matcher(Files.readString(entry.getValue()));
            while (matcher.find()) {
                lapsed.add(lapsed(entry.getKey(), Integer.parseInt(matcher.group(2)), Long.parseLong(matcher.group(1))));
            }
        }
        return lapsed;
    }

    /** The key of a checkpoint save at {@code position} that {@code worker}'s fence refused on {@code partition}. */
    public static String lapsed(String worker, int partition, long position) {
        return worker + " " + partition + " " + position;
    }

    private static String errorsOf(Map<String, Path> stderr) {
        StringBuilder text = new StringBuilder();
        stderr.forEach((worker, path) -> {
            String errors;
            try {
                errors = Files.readString(path);
            } catch (IOException e) {
                errors = "(unreadable: " + e + ")";
            }
            text.append('\n').append(worker).append(": ").append(errors.isEmpty() ? "(nothing)" : errors);
        });
        return text.toString();
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

    /**
     * One handled event, as a worker recorded it.
     *
     * @param seq the record's order of commit in the database
     * @param worker the worker that handled it
     * @param partition the partition it belongs to
     * @param stream the stream ID, as text
     * @param version the event's stream version
     * @param eventId the event ID, as text
     * @param position the event's global position
     * @param atNanos when its handler began, by {@link System#nanoTime()} (system-wide on Linux), taken
     *     before the record is written
     */
    public record Handled(long seq, String worker, int partition, String stream, long version, String eventId,
            long position, long atNanos) {
    }

    public static void assertEveryEventHandled(List<Handled> rows, Map<String, Event> appended, int partitions) {
        Set<String> ids = new HashSet<>();
        for (Handled row : rows) {
            Event event = appended.get(row.eventId());
            assertThat(event).as("handled event %s was appended", row.eventId()).isNotNull();
            assertThat(row.stream()).isEqualTo(event.streamId().toString());
            assertThat(row.version()).isEqualTo(event.streamVersion());
            assertThat(row.partition()).isEqualTo(PartitionedProjection.partitionOf(event.streamId(), partitions));
            ids.add(row.eventId());
        }
        assertThat(ids).as("every appended event was handled").containsExactlyInAnyOrderElementsOf(appended.keySet());
    }

    public static void assertStreamOrderPerWorker(List<Handled> rows) {
        assertStreamOrderPerWorker(rows, Set.of());
    }

    /**
     * As {@link #assertStreamOrderPerWorker(List)}, but a worker may handle again the events it
     * handled on a stream since the last one whose checkpoint its fence let through ({@code lapsed},
     * see {@link #lapsed}): it goes on from its checkpoint under the lease renewed after all.
     */
    public static void assertStreamOrderPerWorker(List<Handled> rows, Set<String> lapsed) {
        Map<String, Long> highest = new HashMap<>();
        Map<String, Long> saved = new HashMap<>();
        for (Handled row : rows) {
            String key = row.worker() + " " + row.stream();
            long high = highest.getOrDefault(key, 0L);
            if (row.version() <= high) {
                assertThat(row.version()).as("%s handled %s in order", row.worker(), row.stream())
                        .isGreaterThan(saved.getOrDefault(key, 0L));
            }
            highest.put(key, Math.max(high, row.version()));
            if (!lapsed.contains(lapsed(row.worker(), row.partition(), row.position()))) {
                saved.merge(key, row.version(), Math::max);
            }
        }
    }

    /**
     * Per partition, in commit order, each handled position is above every one before it, across
     * changes of worker too. The one exception: a survivor, after the kill and after the killed
     * worker's last event on the partition, may handle again an event the killed worker handled.
     *
     * @return how many events were handled again
     */
    public static int assertNoPartitionSharedByLiveWorkers(List<Handled> rows, int partitions, String victim, long killedAt) {
        return assertNoPartitionSharedByLiveWorkers(rows, partitions, victim, killedAt, Set.of());
    }

    /**
     * As {@link #assertNoPartitionSharedByLiveWorkers(List, int, String, long)}, with one more
     * exception: any worker may handle again the events handled on the partition since the last one
     * whose checkpoint save went through, when the saves of those events were refused by their
     * workers' lease fences ({@code lapsed}, see {@link #lapsed}): a worker handles nothing more on a
     * lapsed lease (unless its renewal lands after all, and then it still holds the partition), so the
     * partition is not shared; the events are handled again, at least once. Likewise a worker's row that commits after
     * the next holder's rows is no going back if the fence refused that worker's checkpoint of the
     * event and its handler began before every row of another worker at or past that position: a
     * handler begun under the lease that ran on past it (see {@link Handled#atNanos}).
     *
     * @return how many events were handled again after the kill (not counting those after a lapse)
     */
    public static int assertNoPartitionSharedByLiveWorkers(List<Handled> rows, int partitions, String victim,
            long killedAt, Set<String> lapsed) {
        Map<Integer, List<Handled>> byPartition = new TreeMap<>();
        for (Handled row : rows) {
            byPartition.computeIfAbsent(row.partition(), p -> new ArrayList<>()).add(row);
        }
        assertThat(byPartition.keySet()).as("every partition had events").hasSize(partitions);
        int replays = 0;
        for (var entry : byPartition.entrySet()) {
            try {
                replays += assertPartitionNotShared(entry.getKey(), entry.getValue(), victim, killedAt, lapsed);
            } catch (AssertionError e) {
                // The rows of the partition and the refused saves tell which worker went back and why.
                StringBuilder history = new StringBuilder(e.getMessage())
                        .append("\nkilled at ").append(killedAt).append(" ns; checkpoint saves refused (worker partition position): ")
                        .append(new TreeSet<>(lapsed)).append("\nrows of partition ").append(entry.getKey()).append(", in commit order:");
                for (Handled row : entry.getValue()) {
                    history.append("\n  seq ").append(row.seq()).append(' ').append(row.worker()).append(" position ")
                            .append(row.position()).append(" at ").append(row.atNanos()).append(" ns");
                }
                throw new AssertionError(history.toString(), e);
            }
        }
        return replays;
    }

    /**
     * Whether row {@code i} of a partition is the late commit of a handler that began under its
     * worker's lease and ran on past it: its worker's fence refused the checkpoint of that very event
     * (the lease lapsed while the handler ran, say while it waited for a lock), and it began before
     * every row of another worker that got this far on the partition had begun. A handler already
     * running cannot be called back when its lease lapses; the lease time must exceed such pauses,
     * which a loaded machine does not always grant.
     */
    private static boolean lateUnderLapsedLease(List<Handled> handled, int i, Set<String> lapsed) {
        Handled row = handled.get(i);
        if (!lapsed.contains(lapsed(row.worker(), row.partition(), row.position()))) {
            return false;
        }
        for (int j = 0; j < i; j++) {
            Handled earlier = handled.get(j);
            if (!earlier.worker().equals(row.worker()) && earlier.position() >= row.position()
                    && earlier.atNanos() <= row.atNanos()) {
                return false;
            }
        }
        return true;
    }

    /** The check of {@link #assertNoPartitionSharedByLiveWorkers} for one partition's rows; returns its replays. */
    private static int assertPartitionNotShared(int partition, List<Handled> handled, String victim, long killedAt,
            Set<String> lapsed) {
        int replays = 0;
        long lastVictimSeq = handled.stream().filter(r -> r.worker().equals(victim)).mapToLong(Handled::seq)
                .max().orElse(-1);
        Set<String> byVictim = new HashSet<>();
        long high = 0;
        // The highest position whose checkpoint may have been saved: a row's own save was refused
        // only if its worker's fence said so.
        long saved = 0;
        for (int i = 0; i < handled.size(); i++) {
            Handled row = handled.get(i);
            boolean refused = lapsed.contains(lapsed(row.worker(), partition, row.position()));
            if (row.position() > high) {
                high = row.position();
            } else if (row.position() > saved) {
                // Handled before, but every save from there on was refused by a lapsed lease: the
                // checkpoint stayed before it, so whoever works the partition next handles it again.
            } else if (lateUnderLapsedLease(handled, i, lapsed)) {
                // The previous holder's handler, begun under its lease, committed after the next
                // holder had started: not a worker going back. Its place in the order is when it began.
                if (row.worker().equals(victim)) {
                    byVictim.add(row.eventId());
                }
                continue;
            } else {
                assertThat(row.worker()).as("partition %d: %s went back", partition, row).isNotEqualTo(victim);
                assertThat(row.seq()).as("partition %d: %s went back before the killed worker's last event",
                        partition, row).isGreaterThan(lastVictimSeq);
                assertThat(row.atNanos()).as("partition %d: %s went back before the kill", partition, row)
                        .isGreaterThan(killedAt);
                assertThat(byVictim).as("partition %d: %s handles again only what the killed worker handled",
                        partition, row).contains(row.eventId());
                replays++;
            }
            if (row.worker().equals(victim)) {
                byVictim.add(row.eventId());
            }
            if (!refused) {
                saved = Math.max(saved, row.position());
            }
        }
        return replays;
    }
}
