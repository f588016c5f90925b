package dev.estoria.subscription;

import dev.estoria.eventstore.EventFilter;
import java.time.Duration;
import java.util.Objects;

/**
 * Options of a {@link Subscription}.
 *
 * @param afterPosition start after this global position (exclusive); 0 from the beginning
 * @param filter which events to deliver; {@link EventFilter#applicationStreams()} by default, which
 *     leaves Estoria's own streams (snapshots) out
 * @param batchSize how many events one read fetches, >= 1; a read also stops once the payloads it
 *     fetched reach {@link Subscription#BATCH_BYTES}
 * @param pollInterval how long to wait for a notification before reading anyway: the safety net for
 *     lost notifications and for stores without an {@link dev.estoria.eventstore.AppendNotifier}
 */
public record SubscriptionOptions(long afterPosition, EventFilter filter, int batchSize, Duration pollInterval) {

    public SubscriptionOptions {
        if (afterPosition < 0) {
            throw new IllegalArgumentException("afterPosition must not be negative, was " + afterPosition);
        }
        Objects.requireNonNull(filter, "filter");
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1, was " + batchSize);
        }
        Objects.requireNonNull(pollInterval, "pollInterval");
        if (pollInterval.isNegative() || pollInterval.isZero()) {
            throw new IllegalArgumentException("pollInterval must be positive, was " + pollInterval);
        }
    }

    /** From the beginning, application streams, batches of 500, polling every second. */
    public static SubscriptionOptions defaults() {
        return new SubscriptionOptions(0, EventFilter.applicationStreams(), 500, Duration.ofSeconds(1));
    }

    /** Returns a copy starting after {@code position}. */
    public SubscriptionOptions afterPosition(long position) {
        return new SubscriptionOptions(position, filter, batchSize, pollInterval);
    }

    /** Returns a copy with another filter. */
    public SubscriptionOptions filter(EventFilter newFilter) {
        return new SubscriptionOptions(afterPosition, newFilter, batchSize, pollInterval);
    }

    /** Returns a copy with another batch size. */
    public SubscriptionOptions batchSize(int size) {
        return new SubscriptionOptions(afterPosition, filter, size, pollInterval);
    }

    /** Returns a copy with another poll interval. */
    public SubscriptionOptions pollInterval(Duration interval) {
        return new SubscriptionOptions(afterPosition, filter, batchSize, interval);
    }
}
