package dev.estoria.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * One table of a benchmark's results: a title, column headings, rows of formatted cells and notes
 * that explain how the figures were taken.
 *
 * <p>Immutable; every row has exactly as many cells as there are columns.
 *
 * @param title a short heading
 * @param columns the column headings, at least one
 * @param rows the rows, each with one cell per column
 * @param notes sentences printed under the table
 */
public record ResultTable(String title, List<String> columns, List<List<String>> rows, List<String> notes) {

    /**
     * @throws NullPointerException if a component or cell is null
     * @throws IllegalArgumentException if there are no columns or a row has the wrong number of cells
     */
    public ResultTable {
        Objects.requireNonNull(title, "title");
        columns = List.copyOf(columns);
        if (columns.isEmpty()) {
            throw new IllegalArgumentException("a table needs at least one column");
        }
        List<List<String>> copied = new ArrayList<>(rows.size());
        for (List<String> row : rows) {
            if (row.size() != columns.size()) {
                throw new IllegalArgumentException("table \"" + title + "\" has " + columns.size()
                        + " columns but a row has " + row.size() + " cells: " + row);
            }
            copied.add(List.copyOf(row));
        }
        rows = List.copyOf(copied);
        notes = List.copyOf(notes);
    }

    /** Renders the table as GitHub-flavoured Markdown: a level-3 heading, the table, then the notes. */
    public String toMarkdown() {
        StringBuilder out = new StringBuilder();
        out.append("### ").append(title).append("\n\n");
        appendRow(out, columns);
        out.append('|');
        for (int i = 0; i < columns.size(); i++) {
            out.append(i == 0 ? " --- |" : " ---: |");
        }
        out.append('\n');
        for (List<String> row : rows) {
            appendRow(out, row);
        }
        if (!notes.isEmpty()) {
            out.append('\n');
            for (String note : notes) {
                out.append(note).append('\n');
            }
        }
        return out.toString();
    }

    private static void appendRow(StringBuilder out, List<String> cells) {
        out.append('|');
        for (String cell : cells) {
            out.append(' ').append(cell.replace("|", "\\|")).append(" |");
        }
        out.append('\n');
    }

    /** Builds a table row by row. */
    public static final class Builder {
        private final String title;
        private final List<String> columns;
        private final List<List<String>> rows = new ArrayList<>();
        private final List<String> notes = new ArrayList<>();

        /** Starts a table with the given title and column headings. */
        public Builder(String title, String... columns) {
            this.title = title;
            this.columns = List.of(columns);
        }

        /** Adds a row; its cell count is checked when the table is built. */
        public Builder row(String... cells) {
            rows.add(List.of(cells));
            return this;
        }

        /** Adds a note printed under the table. */
        public Builder note(String note) {
            notes.add(note);
            return this;
        }

        /** The table. */
        public ResultTable build() {
            return new ResultTable(title, columns, rows, notes);
        }
    }
}
