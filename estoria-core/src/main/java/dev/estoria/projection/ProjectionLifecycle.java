package dev.estoria.projection;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.TransientStoreException;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.subscription.Subscription;
import dev.estoria.subscription.SubscriptionOptions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * The life cycle every projection runner shares ({@link ProjectionProcessor}, and the SQLite and
 * PostgreSQL runners that commit read-model writes with their checkpoint): one daemon thread, the
 * state ({@code NEW}, then {@code CATCHING_UP}, {@code LIVE} from the first time it reaches the
 * head, and {@code STOPPED} or {@code FAILED}), the failure that stopped it, the most recent handler
 * failures, the store outage it is waiting out ({@link #throughOutages}, {@link #outage()}), and a
 * stop that ends a wait for events at once. The runner's loop, on the thread, does
 * the work and reports through {@link #catchingUp()}, {@link #reachedHead(long)}, {@link
 * #stopped()} and {@link #failed(Throwable)}, and checks {@link #stopping()}.
 *
 * <p>For implementers of runners. Thread-safe: the loop reports, any thread asks and closes.
 */
public final class ProjectionLifecycle {

    /** How many handler failures {@link #recentFailures()} keeps, newest last. */
    public static final int MAX_RECORDED_FAILURES = 100;

    private final ProjectionId id;
    private final CountDownLatch caughtUp = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);
    private final ArrayDeque<ProjectionFailure> failures = new ArrayDeque<>();
    private volatile State state = State.NEW;
    private volatile long caughtUpPosition = -1;
    private volatile Throwable failure;
    private volatile boolean stopping;
    /** Transient store failures in a row, and the progress at the last one; the loop's thread only. */
    private int outagesInARow;
    private long progressAtOutage;
    /** The outage being waited out, until the store answers again; set and cleared by the loop. */
    private volatile ProjectionStatus.Outage outage;
    private volatile Subscription subscription;
    private Thread thread;
    private final java.util.ArrayList<Runnable> whenEnded = new java.util.ArrayList<>(); // guarded by this

    /** How long {@link #close()} waits for the loop by default before interrupting it. */
    public static final Duration DEFAULT_CLOSE_GRACE = Duration.ofSeconds(30);

    /** How long {@link #close()} waits, after interrupting the loop, for it to end. */
    private static final Duration AFTER_INTERRUPT = Duration.ofSeconds(5);

    private final Duration closeGrace;

    /** The life cycle of a runner of projection {@code id}, not yet started, with the default close grace. */
    public ProjectionLifecycle(ProjectionId id) {
        this(id, DEFAULT_CLOSE_GRACE);
    }

    /**
     * The life cycle of a runner of projection {@code id}, not yet started.
     *
     * @param closeGrace how long {@link #close()} waits for the loop to end before interrupting it
     * @throws IllegalArgumentException if {@code closeGrace} is not positive
     */
    public ProjectionLifecycle(ProjectionId id, Duration closeGrace) {
        this.id = Objects.requireNonNull(id, "id");
        this.closeGrace = checkGrace(closeGrace);
    }

    /**
     * Checks a close grace given in options.
     *
     * @return {@code grace}
     * @throws IllegalArgumentException if it is not positive
     */
    public static Duration checkGrace(Duration grace) {
        Objects.requireNonNull(grace, "closeGrace");
        if (grace.isNegative() || grace.isZero()) {
            throw new IllegalArgumentException("closeGrace must be positive, was " + grace);
        }
        return grace;
    }

    /**
     * Runs {@code loop} on a new daemon thread. When it returns, or throws, the subscription it
     * followed is closed and every waiter of {@link #awaitCaughtUp} and {@link #close()} is released;
     * the loop itself reports how it ended.
     *
     * @throws IllegalStateException if it was already started
     */
    public synchronized void start(String threadName, Runnable loop) {
        Objects.requireNonNull(loop, "loop");
        if (thread != null) {
            throw new IllegalStateException("projection " + id + " was already started");
        }
        thread = Thread.ofPlatform().name(threadName).daemon().start(() -> {
            try {
                loop.run();
            } finally {
                Subscription s = subscription;
                if (s != null) {
                    s.close();
                }
                // A loop that has ended waits out nothing, whether it stopped or failed during an outage.
                outage = null;
                caughtUp.countDown();
                finished.countDown();
                List<Runnable> actions;
                synchronized (this) {
                    actions = List.copyOf(whenEnded);
                    whenEnded.clear();
                }
                actions.forEach(Runnable::run);
            }
        });
    }

    /** Whether the loop's thread was started and has ended (or is about to: its loop has returned). */
    boolean ended() {
        return finished.getCount() == 0;
    }

    /**
     * Runs {@code action} once the loop has returned: at once, on this thread, if it already has;
     * otherwise on the loop's thread as it ends. For a runner that was started.
     */
    void whenEnded(Runnable action) {
        Objects.requireNonNull(action, "action");
        synchronized (this) {
            if (finished.getCount() != 0) {
                whenEnded.add(action);
                return;
            }
        }
        action.run();
    }

    /** Whether {@link #close()} was called: the loop should finish what it is doing and return. */
    public boolean stopping() {
        return stopping;
    }

    /**
     * Subscribes to {@code reader} after {@code afterPosition} with a runner's read settings, and
     * makes it the subscription the loop reads (see {@link #follow(Subscription)}).
     */
    public Subscription follow(GlobalReader reader, long afterPosition, EventFilter filter, int batchSize,
            Duration pollInterval) {
        return follow(Subscription.to(reader, SubscriptionOptions.defaults().afterPosition(afterPosition)
                .filter(filter).batchSize(batchSize).pollInterval(pollInterval)));
    }

    /**
     * Makes {@code s} the subscription the loop reads, the one {@link #close()} closes to end a wait
     * for events. If the runner is already stopping, it is closed at once.
     *
     * @return {@code s}
     */
    public Subscription follow(Subscription s) {
        subscription = Objects.requireNonNull(s, "s");
        if (stopping) {
            s.close();
        }
        return s;
    }

    /** The loop started reading from its checkpoint. */
    public void catchingUp() {
        state = State.CATCHING_UP;
    }

    /**
     * The loop reached the head of the log, its checkpoint at {@code position} durable. The first
     * call makes the runner {@code LIVE} and releases {@link #awaitCaughtUp}; later calls do nothing.
     */
    public void reachedHead(long position) {
        if (caughtUpPosition < 0) {
            caughtUpPosition = position;
            state = State.LIVE;
            caughtUp.countDown();
        }
    }

    /** The loop ended because it was asked to stop. */
    public void stopped() {
        outage = null; // before the state: whoever sees it stopped sees no outage
        state = State.STOPPED;
    }

    /** The loop ended with a failure. */
    public void failed(Throwable cause) {
        failure = Objects.requireNonNull(cause, "cause");
        outage = null; // before the state: whoever sees it failed sees no outage
        state = State.FAILED;
    }

    /** Records a handler failure on {@code event}, keeping the newest {@value #MAX_RECORDED_FAILURES}. */
    public ProjectionFailure recordFailure(Event event, Exception cause, Instant at) {
        ProjectionFailure recorded = new ProjectionFailure(event.globalPosition().orElseThrow(), event.id(),
                event.streamId(), cause.getClass().getName() + ": " + cause.getMessage(), at);
        synchronized (failures) {
            failures.addLast(recorded);
            if (failures.size() > MAX_RECORDED_FAILURES) {
                failures.removeFirst();
            }
        }
        return recorded;
    }

    /** The recorded handler failures, oldest first. */
    public List<ProjectionFailure> recentFailures() {
        synchronized (failures) {
            return List.copyOf(failures);
        }
    }

    /**
     * Waits until the runner first reached the head.
     *
     * @return true once caught up; false on timeout, or if it stopped or failed before
     */
    public boolean awaitCaughtUp(Duration timeout) throws InterruptedException {
        return caughtUp.await(timeout.toNanos(), TimeUnit.NANOSECONDS) && caughtUpPosition >= 0;
    }

    /** The position at which the runner first caught up; -1 before that. Never changes once set. */
    public long caughtUpPosition() {
        return caughtUpPosition;
    }

    /** The runner's state. */
    public State state() {
        return state;
    }

    /** The failure that stopped the runner, if it failed. */
    public Optional<Throwable> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * Asks the loop to stop and ends its wait for events, without waiting for the thread: for a
     * close called where waiting would wait for itself (from the loop's own thread, such as a
     * handler's, or from work the loop is waiting for). The loop ends once what it is doing returns.
     * A runner never started is just {@code STOPPED}, as after {@link #close()}.
     */
    public void stop() {
        stopping = true;
        Subscription s = subscription;
        if (s != null) {
            s.close();
        }
        synchronized (this) {
            if (thread == null) {
                state = State.STOPPED;
            }
            notifyAll(); // ends a pause
        }
    }

    /** The longest pause between tries after a transient store failure. */
    public static final Duration MAX_RETRY_PAUSE = Duration.ofSeconds(10);

    /**
     * The pause before the next try after {@code failuresInARow} transient store failures in a row
     * (at least 1): 100 ms after the first, doubling up to {@link #MAX_RETRY_PAUSE}.
     */
    public static Duration retryPause(int failuresInARow) {
        if (failuresInARow < 1) {
            throw new IllegalArgumentException("failuresInARow must be >= 1, was " + failuresInARow);
        }
        return Duration.ofMillis(Math.min(MAX_RETRY_PAUSE.toMillis(), 100L << Math.min(failuresInARow - 1, 20)));
    }

    /** A step of the loop that a transient store failure may cut short, to be tried again. */
    @FunctionalInterface
    public interface Attempt<T> {
        T run() throws InterruptedException;
    }

    /**
     * Runs {@code attempt} until it returns, trying it again after each {@link
     * TransientStoreException}: the failure is logged and the loop pauses for {@link #retryPause}
     * of the failures in a row, or until {@link #stop()}. Failures count in a row while {@code
     * progress} (a position, say) stays the same; progress since the last one, or a {@link
     * #storeAnswered()}, starts the count again. Called by the loop's thread only; any other
     * exception is thrown as is.
     *
     * @param log the runner's logger, which the warnings go to
     * @param doing what failed, for the log ("loading the checkpoint")
     * @return what the attempt returned, or empty if the runner is stopping before it could
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    public <T> Optional<T> throughOutages(System.Logger log, LongSupplier progress, Supplier<String> doing,
            Attempt<T> attempt) throws InterruptedException {
        while (!stopping) {
            try {
                return Optional.of(attempt.run());
            } catch (TransientStoreException e) {
                if (stopping) {
                    break;
                }
                pauseAfterOutage(log, e, progress.getAsLong(), doing.get());
            }
        }
        return Optional.empty();
    }

    private void pauseAfterOutage(System.Logger log, TransientStoreException failure, long progress, String doing)
            throws InterruptedException {
        outagesInARow = progress == progressAtOutage && outagesInARow > 0 ? outagesInARow + 1 : 1;
        progressAtOutage = progress;
        waitingOutOutage(failure);
        Duration pause = retryPause(outagesInARow);
        log.log(System.Logger.Level.WARNING, "projection " + id + ": " + doing + " failed (" + failure.getMessage()
                + "); trying again in " + pause.toMillis() + " ms", failure);
        pause(pause);
    }

    /**
     * The loop failed to reach the store and is about to pause before trying again: {@link
     * #outage()} says so, counting this try, until {@link #storeAnswered()}. Called by the loop's
     * thread; {@link #throughOutages} calls it itself.
     */
    public void waitingOutOutage(Throwable cause) {
        ProjectionStatus.Outage current = outage;
        // Until storeAnswered(), it is the same outage, even if the loop made some progress between
        // two tries (events read and handled while only saves fail): its start and count go on.
        Instant since = current == null ? Instant.now() : current.since();
        int tries = current == null ? 1 : current.tries() + 1;
        outage = new ProjectionStatus.Outage(since, tries, cause.getClass().getName() + ": " + cause.getMessage());
    }

    /**
     * The loop went through a whole round with the store (read and handled events and saved what it
     * saves, or reached the head): an outage it was waiting out is over. Not after a lone read, when
     * only writes fail: the outage would then seem over between every two tries. Cheap enough to call
     * every round. Called by the loop's thread.
     */
    public void storeAnswered() {
        outagesInARow = 0; // a later outage is a new one, from the shortest pause
        if (outage != null) {
            outage = null;
        }
    }

    /** The store outage the runner is waiting out, if any. */
    public Optional<ProjectionStatus.Outage> outage() {
        return Optional.ofNullable(outage);
    }

    /**
     * Waits for {@code duration}, or until {@link #stop()} or {@link #close()} is called: the pause
     * of a loop before it tries again after a failure, which a close must not have to sit out.
     *
     * @return whether the whole pause passed (false: the runner is stopping)
     * @throws InterruptedException if the thread is interrupted while waiting
     */
    public boolean pause(Duration duration) throws InterruptedException {
        long deadline = System.nanoTime() + Math.min(saturatedNanos(duration), Long.MAX_VALUE / 2);
        synchronized (this) {
            while (!stopping) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return true;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
        return false;
    }

    /**
     * Asks the loop to stop, ends its wait for events, and waits for the thread to end: up to the
     * close grace (30 seconds by default), then it is interrupted (and given 5 seconds more). A
     * runner never started is just {@code STOPPED}. Called on the loop's own thread (from a
     * handler), it does not wait, since the thread cannot end before the call returns: it acts as
     * {@link #stop()}.
     */
    public void close() throws InterruptedException {
        stop();
        Thread t;
        synchronized (this) {
            t = thread;
        }
        if (t == null) {
            state = State.STOPPED;
            return;
        }
        if (Thread.currentThread() == t) {
            return;
        }
        if (!finished.await(saturatedNanos(closeGrace), TimeUnit.NANOSECONDS)) {
            t.interrupt();
            finished.await(AFTER_INTERRUPT.toNanos(), TimeUnit.NANOSECONDS);
        }
    }

    private static long saturatedNanos(Duration d) {
        try {
            return d.toNanos();
        } catch (ArithmeticException e) {
            return Long.MAX_VALUE;
        }
    }
}
