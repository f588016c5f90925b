package dev.estoria.cli;

import dev.estoria.cli.store.CliStore;
import java.io.PrintWriter;
import java.time.Duration;

/**
 * Waits for a store's global log to let readers see what was committed up to a position. A store
 * with a watermark (PostgreSQL) holds events back from readers while an older transaction,
 * anywhere in its cluster, is open; they are never lost, and become readable once it ends.
 */
final class FeedWait {

    /** How often the readable head is asked for: another session's transaction ends without a signal. */
    private static final long POLL_MILLIS = 50;

    private FeedWait() {
    }

    /**
     * Whether {@link CliStore#readAll} returns every event committed up to {@code target} that still
     * exists, or everything committed if that is less: at once for a store without a watermark.
     */
    static boolean readable(CliStore store, long target) {
        if (store.watermark().isEmpty()) {
            return true;
        }
        long head = store.headPosition();
        // Deleted events do not count towards the head: once nothing committed is held back, every
        // event up to the target that still exists is readable.
        return head >= target || head >= store.watermark().get().committedHead();
    }

    /**
     * Waits until {@link #readable} holds, at most {@code timeout}; says on {@code err}, once, what it
     * waits for if it has to wait.
     *
     * @param what what is waited for, for the line on {@code err} ("the events committed before the
     *     export began")
     * @return whether it holds; false also if the thread was interrupted
     */
    static boolean awaitReadable(CliStore store, long target, Duration timeout, PrintWriter err, String what) {
        if (readable(store, target)) {
            return true;
        }
        err.println("waiting up to " + timeout.toSeconds() + " s for " + what + ": "
                + store.watermark().orElseThrow().heldBackBy());
        err.flush();
        // --wait takes any long: past about 292 years the nanoseconds would not fit, and it waits as if for ever.
        long deadline = System.nanoTime() + Math.min(saturatedNanos(timeout), Long.MAX_VALUE / 2);
        while (System.nanoTime() - deadline < 0) {
            try {
                Thread.sleep(POLL_MILLIS); // polling another session's state, not ordering threads
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
            if (readable(store, target)) {
                return true;
            }
        }
        return false;
    }

    /** {@code duration} in nanoseconds, {@link Long#MAX_VALUE} if it has more. */
    private static long saturatedNanos(Duration duration) {
        try {
            return duration.toNanos();
        } catch (ArithmeticException tooLong) {
            return Long.MAX_VALUE;
        }
    }
}
