package dev.estoria.projection;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/** Checkpoints held in memory, for tests and prototyping; lost when the process ends. Thread-safe. */
public final class InMemoryCheckpointStore implements CheckpointStore {

    private final ConcurrentHashMap<ProjectionId, Checkpoint> checkpoints = new ConcurrentHashMap<>();
    private final Clock clock;

    private InMemoryCheckpointStore(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** An empty store using the system UTC clock. */
    public static InMemoryCheckpointStore create() {
        return new InMemoryCheckpointStore(Clock.systemUTC());
    }

    /**
     * An empty store on the given clock. Each save's {@code updatedAt} still moves forward (by a
     * microsecond) when the clock has not, so a projection's progress stays visible.
     */
    public static InMemoryCheckpointStore withClock(Clock clock) {
        return new InMemoryCheckpointStore(clock);
    }

    @Override
    public Optional<Checkpoint> load(ProjectionId id) {
        return Optional.ofNullable(checkpoints.get(Objects.requireNonNull(id, "id")));
    }

    @Override
    public void save(ProjectionId id, long position) {
        Objects.requireNonNull(id, "id");
        if (position < 0) {
            throw new IllegalArgumentException("position must not be negative, was " + position);
        }
        checkpoints.compute(id, (key, old) -> {
            Instant now = clock.instant();
            // Keep updatedAt strictly increasing even when the clock does not move between saves.
            if (old != null && !now.isAfter(old.updatedAt())) {
                now = old.updatedAt().plusNanos(1000);
            }
            return new Checkpoint(id, position, now);
        });
    }

    @Override
    public boolean delete(ProjectionId id) {
        return checkpoints.remove(Objects.requireNonNull(id, "id")) != null;
    }

    @Override
    public List<Checkpoint> list() {
        List<Checkpoint> all = new ArrayList<>(checkpoints.values());
        all.sort(Comparator.comparing((Checkpoint c) -> c.projectionId().name())
                .thenComparingInt(c -> c.projectionId().version()));
        return all;
    }
}
