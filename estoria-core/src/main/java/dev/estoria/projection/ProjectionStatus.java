package dev.estoria.projection;

import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * A snapshot of a running projection.
 *
 * @param id the projection
 * @param state what it is doing
 * @param position the global position of the last handled event
 * @param checkpoint the last saved checkpoint position
 * @param lagEvents how many matching events are after the last handled one (counted up to a cap;
 *     see {@link ProjectionProcessor#status()}); -1 if they could not be counted, the store being
 *     out of reach
 * @param lagTime how old the last handled event was when it was handled, while behind; zero when
 *     caught up
 * @param handled events handled since start
 * @param failures recent recorded failures, oldest first
 * @param outage the store outage the projection is waiting out, if any: its reads or checkpoint
 *     saves fail with a {@link dev.estoria.eventstore.TransientStoreException}, and it tries again
 *     until the store answers (the state stays what it was); none once the projection has stopped or
 *     failed
 */
public record ProjectionStatus(ProjectionId id, State state, long position, long checkpoint, long lagEvents,
        Duration lagTime, long handled, List<ProjectionFailure> failures, Optional<Outage> outage) {

    /** @throws NullPointerException if {@code failures} is or holds null, or {@code outage} is null */
    public ProjectionStatus {
        failures = List.copyOf(Objects.requireNonNull(failures, "failures"));
        Objects.requireNonNull(outage, "outage");
    }

    /** A status without an outage. */
    public ProjectionStatus(ProjectionId id, State state, long position, long checkpoint, long lagEvents,
            Duration lagTime, long handled, List<ProjectionFailure> failures) {
        this(id, state, position, checkpoint, lagEvents, lagTime, handled, failures, Optional.empty());
    }

    /**
     * A store outage a projection is waiting out.
     *
     * @param since when the first of its failures in a row happened
     * @param tries how many tries have failed since it began
     * @param cause the latest failure's class and message
     */
    public record Outage(Instant since, int tries, String cause) {
        /** @throws NullPointerException if an argument is null */
        public Outage {
            Objects.requireNonNull(since, "since");
            Objects.requireNonNull(cause, "cause");
        }
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

    /**
     * {@link #countBehind}, or -1 if the store is out of reach ({@link
     * dev.estoria.eventstore.TransientStoreException}): a status asked for during an outage says so
     * rather than fail.
     */
    public static long countBehindIfReachable(GlobalReader reader, long position, EventFilter filter, long max) {
        try {
            return countBehind(reader, position, filter, max);
        } catch (dev.estoria.eventstore.TransientStoreException e) {
            return -1;
        }
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
