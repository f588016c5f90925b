package dev.estoria.projection;

import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * A snapshot of a running projection.
 *
 * @param id the projection
 * @param state what it is doing
 * @param position the global position of the last handled event
 * @param checkpoint the last saved checkpoint position
 * @param lagEvents how many matching events are after the last handled one (counted up to a cap;
 *     see {@link ProjectionProcessor#status()})
 * @param lagTime how old the last handled event was when it was handled, while behind; zero when
 *     caught up
 * @param handled events handled since start
 * @param failures recent recorded failures, oldest first
 */
public record ProjectionStatus(ProjectionId id, State state, long position, long checkpoint, long lagEvents,
        Duration lagTime, long handled, List<ProjectionFailure> failures) {

    /** @throws NullPointerException if {@code failures} is or holds null */
    public ProjectionStatus {
        failures = List.copyOf(Objects.requireNonNull(failures, "failures"));
    }

    /**
     * Counts the events after {@code position} that pass {@code filter}, at most {@code max}: a
     * projection's lag. It reads them, so it costs a read of up to {@code max} events.
     */
    public static long countBehind(GlobalReader reader, long position, EventFilter filter, long max) {
        long behind = 0;
        try (StreamIterator events = reader.readAll(ReadAllOptions.after(position).count(max).filter(filter))) {
            while (events.hasNext()) {
                events.next();
                behind++;
            }
        }
        return behind;
    }

    /** The life cycle of a processor. */
    public enum State {
        /** Created, not started. */
        NEW,
        /** Replaying the backlog. */
        CATCHING_UP,
        /** At the head, following new events. */
        LIVE,
        /** Stopped on request. */
        STOPPED,
        /** Stopped by a handler or store failure. */
        FAILED
    }
}
