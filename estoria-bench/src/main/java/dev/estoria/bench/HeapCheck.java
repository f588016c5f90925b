package dev.estoria.bench;

import java.util.Locale;

/** Turns the catch-up child's output into a table and a goal. */
final class HeapCheck {

    private HeapCheck() {
    }

    /**
     * The parsed {@code OK <events> <nanos> <peak> <max heap>} line, or null if the child failed or
     * had a larger heap than it was given (as {@code _JAVA_OPTIONS} can make it), since then it did
     * not show what the check is for.
     */
    private static long[] parse(ChildJvm.Outcome outcome) {
        for (String line : outcome.output().split("\\R")) {
            if (line.startsWith("OK ")) {
                String[] parts = line.trim().split(" ");
                long[] ok = {Long.parseLong(parts[1]), Long.parseLong(parts[2]), Long.parseLong(parts[3]),
                    Long.parseLong(parts[4])};
                return ok[3] <= BenchSettings.CHILD_HEAP_BYTES ? ok : null;
            }
        }
        return null;
    }

    static ResultTable table(ChildJvm.Outcome outcome, long expected) {
        ResultTable.Builder table = new ResultTable.Builder("Catch-up read in a child JVM with -Xmx"
                + BenchSettings.CHILD_HEAP, "events", "completed", "seconds", "events/s", "peak heap MiB");
        long[] ok = outcome.exitCode() == 0 ? parse(outcome) : null;
        if (ok == null) {
            String reason = outcome.output().strip().replace('\n', ' ');
            table.row(String.format(Locale.ROOT, "%,d", expected), "no (exit " + outcome.exitCode() + ")", "n/a", "n/a",
                    "n/a");
            table.note("Child output: " + (reason.length() > 300 ? reason.substring(0, 300) + "..." : reason));
        } else {
            double seconds = ok[1] / 1e9;
            table.row(String.format(Locale.ROOT, "%,d", ok[0]), "yes", String.format(Locale.ROOT, "%.2f", seconds),
                    Format.number(ok[0] / seconds), Format.number(ok[2] / (1024.0 * 1024.0)));
            table.note("Peak heap is the sum of the heap pools' peak usage (an upper bound). One run.");
        }
        return table.build();
    }

    static GoalCheck goal(ChildJvm.Outcome outcome, long expected) {
        long[] ok = outcome.exitCode() == 0 ? parse(outcome) : null;
        return GoalCheck.atLeast(String.format(Locale.ROOT, "catch-up read of %,d events completes in a %s heap"
                + " (events read)", expected, BenchSettings.CHILD_HEAP), ok == null ? 0 : ok[0], expected);
    }
}
