package dev.estoria.storetest.memory;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.projection.InMemoryCheckpointStore;
import dev.estoria.projection.ProjectionId;
import dev.estoria.storetest.CheckpointStoreContract;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;

class InMemoryCheckpointStoreTest extends CheckpointStoreContract<InMemoryCheckpointStore> {

    @Override
    protected InMemoryCheckpointStore createStore() {
        return InMemoryCheckpointStore.create();
    }

    @Test
    void updatedAtGrowsWithEverySaveEvenWhenTheClockStandsStill() {
        InMemoryCheckpointStore stopped = InMemoryCheckpointStore.withClock(
                Clock.fixed(Instant.parse("2026-01-01T00:00:00Z"), ZoneOffset.UTC));
        ProjectionId id = ProjectionId.of("rapid", 1);
        stopped.save(id, 1);
        Instant first = stopped.load(id).orElseThrow().updatedAt();
        stopped.save(id, 1);
        assertThat(stopped.load(id).orElseThrow().updatedAt()).isAfter(first);
    }
}
