package dev.estoria.storetest.selfcheck;

import static dev.estoria.storetest.CompetingWorkersCheck.assertNoPartitionSharedByLiveWorkers;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.storetest.CompetingWorkersCheck;
import dev.estoria.storetest.CompetingWorkersCheck.Handled;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class CompetingWorkersCheckTest {

    private static final int PARTITIONS = 6;

    @Test
    @DisplayName("the interleaving check fails for two live workers on one partition, and passes a takeover from the dead")
    void interleavingCheckCanFail() {
        long killedAt = 1_000;
        // w1 and w3 both start from one checkpoint and handle the same events: two live holders.
        List<Handled> shared = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            shared.add(new Handled(10 * p + 1, "w1", p, "s", 1, "e" + p + "a", 100 + p, 10));
        }
        shared.add(new Handled(100, "w3", 0, "s", 1, "e0a", 100, 20));
        assertThatThrownBy(() -> assertNoPartitionSharedByLiveWorkers(shared, PARTITIONS, "w2", killedAt))
                .isInstanceOf(AssertionError.class).hasMessageContaining("partition 0");

        // After the kill, w1 handles again the event w2 handled last on partition 0: allowed.
        List<Handled> takeover = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            takeover.add(new Handled(10 * p + 1, "w2", p, "s", 1, "e" + p + "a", 100 + p, 10));
        }
        takeover.add(new Handled(100, "w1", 0, "s", 1, "e0a", 100, 2_000));
        takeover.add(new Handled(101, "w1", 0, "s", 2, "e0b", 200, 2_001));
        assertThat(assertNoPartitionSharedByLiveWorkers(takeover, PARTITIONS, "w2", killedAt)).isEqualTo(1);

        // The same before the kill is refused: the victim was still alive.
        List<Handled> early = new ArrayList<>(takeover.subList(0, PARTITIONS));
        early.add(new Handled(100, "w1", 0, "s", 1, "e0a", 100, 500));
        assertThatThrownBy(() -> assertNoPartitionSharedByLiveWorkers(early, PARTITIONS, "w2", killedAt))
                .isInstanceOf(AssertionError.class).hasMessageContaining("before the kill");
    }

    @Test
    @DisplayName("an event whose checkpoint a lapsed lease refused may be handled again, by anyone, but only that one")
    void aReplayAfterALapsedLeaseIsNoSharing() {
        long killedAt = 1_000;
        // w1 handled e0a, then its lease lapsed by its own clock: its fence refused the checkpoint at 100.
        List<Handled> lapse = new ArrayList<>();
        for (int p = 0; p < PARTITIONS; p++) {
            lapse.add(new Handled(10 * p + 1, "w1", p, "s", 1, "e" + p + "a", 100 + p, 10));
        }
        lapse.add(new Handled(100, "w3", 0, "s", 1, "e0a", 100, 20));
        lapse.add(new Handled(101, "w3", 0, "s", 2, "e0b", 200, 21));
        Set<String> refused = Set.of(CompetingWorkersCheck.lapsed("w1", 0, 100));
        assertThat(assertNoPartitionSharedByLiveWorkers(lapse, PARTITIONS, "w2", killedAt, refused)).isZero();
        // The same worker going on from its checkpoint under its lease renewed after all.
        List<Handled> again = new ArrayList<>(lapse.subList(0, PARTITIONS));
        again.add(new Handled(100, "w1", 0, "s", 1, "e0a", 100, 20));
        assertThat(assertNoPartitionSharedByLiveWorkers(again, PARTITIONS, "w2", killedAt, refused)).isZero();
        List<Handled> repeated = List.of(new Handled(1, "w1", 0, "s", 1, "e0a", 100, 10),
                new Handled(2, "w1", 0, "s", 1, "e0a", 100, 20));
        CompetingWorkersCheck.assertStreamOrderPerWorker(repeated, refused);
        assertThatThrownBy(() -> CompetingWorkersCheck.assertStreamOrderPerWorker(repeated))
                .isInstanceOf(AssertionError.class);

        // A refused save elsewhere excuses nothing here.
        assertThatThrownBy(() -> assertNoPartitionSharedByLiveWorkers(lapse, PARTITIONS, "w2", killedAt,
                Set.of(CompetingWorkersCheck.lapsed("w1", 1, 101), CompetingWorkersCheck.lapsed("w3", 0, 100))))
                .isInstanceOf(AssertionError.class).hasMessageContaining("partition 0");
        // Two refused saves in a row (the lease came back between them): both events are handled again.
        List<Handled> twice = new ArrayList<>(lapse.subList(0, PARTITIONS));
        twice.add(new Handled(100, "w1", 0, "s", 2, "e0b", 200, 20));
        twice.add(new Handled(101, "w3", 0, "s", 1, "e0a", 100, 30));
        twice.add(new Handled(102, "w3", 0, "s", 2, "e0b", 200, 31));
        Set<String> bothRefused = Set.of(CompetingWorkersCheck.lapsed("w1", 0, 100), CompetingWorkersCheck.lapsed("w1", 0, 200));
        assertThat(assertNoPartitionSharedByLiveWorkers(twice, PARTITIONS, "w2", killedAt, bothRefused)).isZero();
        assertThatThrownBy(() -> assertNoPartitionSharedByLiveWorkers(twice, PARTITIONS, "w2", killedAt,
                Set.of(CompetingWorkersCheck.lapsed("w1", 0, 200)))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("partition 0");
        // The lapsed holder's own row may commit after the next holder's, if its handler began first:
        // w1 began e0b under its lease, w3 took over from the checkpoint at 100 and handled e0b too.
        List<Handled> late = new ArrayList<>(lapse.subList(0, PARTITIONS));
        late.add(new Handled(100, "w3", 0, "s", 2, "e0b", 200, 30));
        late.add(new Handled(101, "w1", 0, "s", 2, "e0b", 200, 25));
        assertThat(assertNoPartitionSharedByLiveWorkers(late, PARTITIONS, "w2", killedAt,
                Set.of(CompetingWorkersCheck.lapsed("w1", 0, 200)))).isZero();
        // Not if its fence let the checkpoint through, nor if it began after the other worker's row.
        assertThatThrownBy(() -> assertNoPartitionSharedByLiveWorkers(late, PARTITIONS, "w2", killedAt))
                .isInstanceOf(AssertionError.class).hasMessageContaining("partition 0");
        List<Handled> after = new ArrayList<>(lapse.subList(0, PARTITIONS));
        after.add(new Handled(100, "w3", 0, "s", 2, "e0b", 200, 30));
        after.add(new Handled(101, "w1", 0, "s", 2, "e0b", 200, 35));
        assertThatThrownBy(() -> assertNoPartitionSharedByLiveWorkers(after, PARTITIONS, "w2", killedAt,
                Set.of(CompetingWorkersCheck.lapsed("w1", 0, 200)))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("partition 0");
        // Nor does it excuse going back further than the one event it left unsaved.
        List<Handled> further = new ArrayList<>(lapse.subList(0, PARTITIONS));
        further.add(new Handled(60, "w1", 0, "s", 2, "e0b", 200, 15));
        further.add(new Handled(100, "w3", 0, "s", 1, "e0a", 100, 20));
        assertThatThrownBy(() -> assertNoPartitionSharedByLiveWorkers(further, PARTITIONS, "w2", killedAt,
                Set.of(CompetingWorkersCheck.lapsed("w1", 0, 200)))).isInstanceOf(AssertionError.class)
                .hasMessageContaining("partition 0");
    }
}
