package dev.estoria.cli.format;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * A plain-text table for people: a header, then rows, columns padded to line up.
 *
 * <p>Rows are buffered and printed together so the column widths fit them all; a long listing is
 * printed in chunks of {@value #CHUNK} rows whose widths are fixed by the first chunk (a longer cell
 * later just pushes its line out), so memory stays bounded. Numeric columns are right-aligned.
 * Control characters in cells are shown escaped ({@link Printable}). Call {@link #finish()} at the
 * end.
 */
public final class Table {

    static final int CHUNK = 500;
    private static final String GAP = "  ";

    private final PrintWriter out;
    private final List<String> headers;
    private final boolean[] rightAligned;
    private final List<String[]> pending = new ArrayList<>();
    private int[] widths;
    private long rowCount;

    private Table(PrintWriter out, List<String> headers, boolean[] rightAligned) {
        this.out = out;
        this.headers = headers;
        this.rightAligned = rightAligned;
    }

    /**
     * A table with the given column headers; a header starting with {@code >} marks a right-aligned
     * column (the marker is not printed).
     */
    public static Table of(PrintWriter out, String... headers) {
        Objects.requireNonNull(out, "out");
        boolean[] right = new boolean[headers.length];
        List<String> names = new ArrayList<>(headers.length);
        for (int i = 0; i < headers.length; i++) {
            right[i] = headers[i].startsWith(">");
            names.add(right[i] ? headers[i].substring(1) : headers[i]);
        }
        return new Table(out, List.copyOf(names), right);
    }

    /** Adds a row; it must have one cell per column. */
    public void row(String... cells) {
        if (cells.length != headers.size()) {
            throw new IllegalArgumentException("expected " + headers.size() + " cells, got " + cells.length);
        }
        String[] row = new String[cells.length];
        for (int i = 0; i < cells.length; i++) {
            row[i] = Printable.escapeControls(cells[i]);
        }
        pending.add(row);
        rowCount++;
        if (pending.size() >= CHUNK) {
            flushRows();
        }
    }

    /** How many rows were added. */
    public long rowCount() {
        return rowCount;
    }

    /**
     * Prints the rows buffered so far, fixing the column widths if this is the first print; for
     * tables that grow while the user watches.
     */
    public void flush() {
        flushRows();
    }

    /** Prints what is buffered; prints only {@code emptyText} if the table has no rows. */
    public void finish(String emptyText) {
        if (rowCount == 0) {
            out.println(emptyText);
            return;
        }
        flushRows();
    }

    private void flushRows() {
        if (pending.isEmpty()) {
            return;
        }
        if (widths == null) {
            widths = new int[headers.size()];
            for (int i = 0; i < widths.length; i++) {
                widths[i] = headers.get(i).length();
            }
            for (String[] row : pending) {
                for (int i = 0; i < widths.length; i++) {
                    widths[i] = Math.max(widths[i], row[i].length());
                }
            }
            printLine(headers.toArray(String[]::new));
        }
        for (String[] row : pending) {
            printLine(row);
        }
        pending.clear();
    }

    private void printLine(String[] cells) {
        StringBuilder line = new StringBuilder();
        for (int i = 0; i < cells.length; i++) {
            boolean last = i == cells.length - 1;
            String pad = " ".repeat(Math.max(0, widths[i] - cells[i].length()));
            if (i > 0) {
                line.append(GAP);
            }
            if (rightAligned[i]) {
                line.append(pad).append(cells[i]);
            } else {
                line.append(cells[i]);
                if (!last) {
                    line.append(pad);
                }
            }
        }
        out.println(line);
    }
}
