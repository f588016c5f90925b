package dev.estoria.cli;

import java.io.PrintWriter;

/**
 * Progress of a long command on stderr: a bar redrawn in place on a terminal, otherwise a plain line
 * at every tenth of the work (and nothing for small jobs, which finish before anyone looks).
 */
abstract class Progress {

    /** Jobs smaller than this print no plain progress lines. */
    static final long PLAIN_THRESHOLD = 10_000;

    private static final int BAR_WIDTH = 30;

    final PrintWriter err;
    final String label;
    final long total;
    long done;

    private Progress(PrintWriter err, String label, long total) {
        this.err = err;
        this.label = label;
        this.total = total;
    }

    /** A bar when {@code terminal}, plain lines otherwise. */
    static Progress create(PrintWriter err, boolean terminal, String label, long total) {
        return terminal ? new Bar(err, label, total) : new Lines(err, label, total);
    }

    /** Records {@code n} more units of work done. */
    final void advance(long n) {
        long before = done;
        done = Math.min(total, done + n);
        update(before);
    }

    /** Ends the display. */
    abstract void finish();

    abstract void update(long before);

    final int percent(long amount) {
        return total == 0 ? 100 : (int) (amount * 100 / total);
    }

    /** A bar redrawn in place with a carriage return whenever the whole percentage changes. */
    static final class Bar extends Progress {
        private long drawnAt = -1;

        Bar(PrintWriter err, String label, long total) {
            super(err, label, total);
        }

        @Override
        void update(long before) {
            if (drawnAt < 0 || percent(before) != percent(done)) {
                draw();
            }
        }

        private void draw() {
            int filled = (int) (percent(done) * (long) BAR_WIDTH / 100);
            err.print("\r" + label + " [" + "#".repeat(filled) + "-".repeat(BAR_WIDTH - filled) + "] "
                    + String.format("%3d%%", percent(done)) + "  " + done + "/" + total);
            err.flush();
            drawnAt = done;
        }

        @Override
        void finish() {
            if (drawnAt != done) {
                draw();
            }
            err.println();
            err.flush();
        }
    }

    /** A line at each tenth of a large job. */
    static final class Lines extends Progress {
        Lines(PrintWriter err, String label, long total) {
            super(err, label, total);
        }

        @Override
        void update(long before) {
            if (total >= PLAIN_THRESHOLD && percent(before) / 10 != percent(done) / 10 && done < total) {
                err.println(label + ": " + done + "/" + total + " (" + percent(done) / 10 * 10 + "%)");
                err.flush();
            }
        }

        @Override
        void finish() {
            // The command's own summary says it is done.
        }
    }
}
