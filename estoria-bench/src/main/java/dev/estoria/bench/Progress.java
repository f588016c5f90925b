package dev.estoria.bench;

/**
 * Where a benchmark reports each finished measurement while it runs, so a long run shows that it
 * moves and what it has measured so far. Messages are single lines without a trailing newline.
 */
@FunctionalInterface
public interface Progress {

    /** Reports nothing. */
    Progress NONE = message -> {
    };

    /** Reports one finished step. */
    void step(String message);

    /** Prints each step as a line on standard error, prefixed with {@code bench: }. */
    static Progress toStandardError() {
        return printingTo(new java.io.PrintWriter(System.err, true));
    }

    /** Prints each step as a line on {@code out}, prefixed with {@code bench: }, and flushes. */
    static Progress printingTo(java.io.PrintWriter out) {
        return message -> {
            out.println("bench: " + message);
            out.flush();
        };
    }
}
