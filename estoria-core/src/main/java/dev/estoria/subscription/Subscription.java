package dev.estoria.subscription;

import dev.estoria.eventstore.AppendNotifier;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

/**
 * A live, ordered subscription to the global log: every event after the start position that passes
 * the filter, once each, in ascending position, first the backlog and then new appends as they
 * commit.
 *
 * <p>Built on repeated {@link GlobalReader#readAll} calls from the last delivered position, so it
 * inherits the store's stable-prefix guarantee: nothing is skipped, nothing delivered twice. When
 * the store is an {@link AppendNotifier}, an append wakes a waiting subscriber at once; otherwise,
 * and as a safety net against lost notifications, it reads again every {@code pollInterval}.
 *
 * <p>Use it as a blocking iterator ({@link #next(Duration)}) from one thread; {@link #close()} may
 * be called from any thread and wakes a waiting {@code next}.
 */
public final class Subscription implements AutoCloseable {

    /**
     * The payload bytes after which a read of the backlog stops: it buffers up to {@code batchSize}
     * events, or fewer once their payloads reach this many bytes (at least one event).
     */
    public static final long BATCH_BYTES = 8L << 20;

    private final GlobalReader reader;
    private final SubscriptionOptions options;
    private final AutoCloseable registration;
    private final ArrayDeque<Event> buffer = new ArrayDeque<>();
    private long position;
    private boolean caughtUp;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition signalled = lock.newCondition();
    private long generation; // guarded by lock; bumped by every append notification
    private volatile boolean closed;

    private Subscription(GlobalReader reader, SubscriptionOptions options) {
        this.reader = Objects.requireNonNull(reader, "reader");
        this.options = Objects.requireNonNull(options, "options");
        this.position = options.afterPosition();
        AutoCloseable handle = null;
        if (reader instanceof AppendNotifier notifier) {
            handle = notifier.onAppend(this::signal);
        }
        this.registration = handle;
    }

    /** Subscribes to {@code reader}'s global log. */
    public static Subscription to(GlobalReader reader, SubscriptionOptions options) {
        return new Subscription(reader, options);
    }

    private void signal() {
        lock.lock();
        try {
            generation++;
            signalled.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /**
     * Adds to {@code batch} the events available without waiting, until it holds {@code maxEvents}
     * or the payloads of its events reach {@link #BATCH_BYTES}: the rest of a batch whose first
     * event the caller took with {@link #next(Duration)}, for a runner applying events in batches.
     *
     * @return true if it stopped because no more event was available (the subscription is at the
     *     head of the log, or closed), false if the batch is full
     * @throws dev.estoria.eventstore.EventStoreException if a read fails
     */
    public boolean fillBatch(java.util.List<Event> batch, int maxEvents) throws InterruptedException {
        long bytes = 0;
        for (Event event : batch) {
            bytes += event.dataLength();
        }
        while (batch.size() < maxEvents && bytes < BATCH_BYTES) {
            Optional<Event> more = next(Duration.ZERO);
            if (more.isEmpty()) {
                return true;
            }
            batch.add(more.get());
            bytes += more.get().dataLength();
        }
        return false;
    }

    /**
     * The next event, waiting up to {@code timeout} for one to be appended. A timeout (or poll
     * interval) too long to count in nanoseconds, some 292 years, waits as if it were endless; a
     * negative one as if it were zero.
     *
     * @return the event, or empty if none arrived in time or the subscription was closed
     * @throws dev.estoria.eventstore.EventStoreException if a read fails
     */
    public Optional<Event> next(Duration timeout) throws InterruptedException {
        // The sum may wrap around; only differences of nanoTime values are compared, so it still works.
        long deadline = System.nanoTime() + saturatedNanos(timeout);
        while (!closed) {
            if (!buffer.isEmpty()) {
                Event event = buffer.poll();
                position = event.globalPosition().orElseThrow();
                return Optional.of(event);
            }
            long seen;
            lock.lock();
            try {
                seen = generation;
            } finally {
                lock.unlock();
            }
            // Capture the generation before reading, so an append that lands during the read
            // still wakes the wait below.
            if (fill()) {
                continue;
            }
            caughtUp = true;
            long remaining = deadline - System.nanoTime();
            if (remaining <= 0) {
                return Optional.empty();
            }
            lock.lock();
            try {
                long wait = Math.min(remaining, saturatedNanos(options.pollInterval()));
                while (generation == seen && !closed && wait > 0) {
                    wait = signalled.awaitNanos(wait);
                }
            } finally {
                lock.unlock();
            }
        }
        return Optional.empty();
    }

    /**
     * {@code duration} in nanoseconds, clamped to [0, {@link Long#MAX_VALUE}]: {@link Duration#toNanos()}
     * throws for a duration that does not fit, which {@code ChronoUnit.FOREVER.getDuration()} or
     * any "wait for good" value over some 292 years is.
     */
    private static long saturatedNanos(Duration duration) {
        if (duration.isNegative()) {
            return 0;
        }
        try {
            return duration.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }

    /**
     * Reads the next batch into the buffer; returns whether it found anything. A batch also ends
     * once its events' payloads hold {@link #BATCH_BYTES}, so large events do not multiply by the
     * batch size; the next read goes on after the last one buffered.
     */
    private boolean fill() {
        ReadAllOptions read = ReadAllOptions.after(position).count(options.batchSize()).filter(options.filter());
        long bytes = 0;
        try (StreamIterator events = reader.readAll(read)) {
            while (bytes < BATCH_BYTES && events.hasNext()) {
                Event event = events.next();
                buffer.add(event);
                bytes += event.dataLength();
            }
        }
        return !buffer.isEmpty();
    }

    /** The position of the last event returned by {@link #next}, or the start position. */
    public long position() {
        return position;
    }

    /** Whether a read has found nothing more: the subscription reached the head at least once. */
    public boolean hasCaughtUp() {
        return caughtUp;
    }

    /** Ends the subscription; wakes a waiting {@link #next}. Idempotent. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        signal();
        if (registration != null) {
            try {
                registration.close();
            } catch (Exception e) {
                // Unregistering is best effort: a stale listener only bumps a counter nobody reads.
            }
        }
    }

    /** Waits for the next event without a time limit; empty only once closed. */
    public Optional<Event> next() throws InterruptedException {
        return next(Duration.ofDays(365 * 100));
    }
}
