package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.projection.PartitionedProjection;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * Checks a record of what several {@link PartitionedProjection} workers handled, for a store's own
 * multi-process test of its {@link dev.estoria.projection.LeaseStore}: every event handled, each
 * stream in version order per worker, and no partition worked by two live workers at once.
 *
 * <p>The test has each worker record every event it handles ({@link Handled}) in the store's own
 * database, in commit order, kills one worker, and passes the rows here.
 */
public final class CompetingWorkersCheck {

    private CompetingWorkersCheck() {
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
     * @param atNanos when it was handled, by {@link System#nanoTime()} (system-wide on Linux)
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
        Map<String, Long> last = new HashMap<>();
        for (Handled row : rows) {
            Long previous = last.put(row.worker() + " " + row.stream(), row.version());
            if (previous != null) {
                assertThat(row.version()).as("%s handled %s in order", row.worker(), row.stream())
                        .isGreaterThan(previous);
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
        Map<Integer, List<Handled>> byPartition = new TreeMap<>();
        for (Handled row : rows) {
            byPartition.computeIfAbsent(row.partition(), p -> new ArrayList<>()).add(row);
        }
        assertThat(byPartition.keySet()).as("every partition had events").hasSize(partitions);
        int replays = 0;
        for (var entry : byPartition.entrySet()) {
            int partition = entry.getKey();
            List<Handled> handled = entry.getValue();
            long lastVictimSeq = handled.stream().filter(r -> r.worker().equals(victim)).mapToLong(Handled::seq)
                    .max().orElse(-1);
            Set<String> byVictim = new HashSet<>();
            long high = 0;
            for (Handled row : handled) {
                if (row.position() > high) {
                    high = row.position();
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
            }
        }
        return replays;
    }
}
