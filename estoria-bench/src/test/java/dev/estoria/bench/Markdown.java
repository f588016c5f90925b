package dev.estoria.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;

/** Checks that rendered reports are well-formed Markdown tables. */
final class Markdown {

    private Markdown() {
    }

    /**
     * Asserts that every table in {@code markdown} has a header, a separator line and at least one
     * row, all with the same number of cells; returns the tables found, each as its lines.
     */
    static List<List<String>> assertWellFormedTables(String markdown) {
        List<List<String>> tables = new ArrayList<>();
        List<String> current = null;
        for (String line : markdown.split("\n", -1)) {
            if (line.startsWith("|")) {
                if (current == null) {
                    current = new ArrayList<>();
                    tables.add(current);
                }
                current.add(line);
            } else {
                current = null;
            }
        }
        assertThat(tables).as("tables in:\n%s", markdown).isNotEmpty();
        for (List<String> table : tables) {
            assertThat(table).as("a table needs a header, a separator and a row:\n%s", table)
                    .hasSizeGreaterThanOrEqualTo(3);
            int cells = cells(table.get(0));
            assertThat(table.get(1)).matches("\\|( ---:? \\|)+");
            for (String line : table) {
                assertThat(line).endsWith("|");
                assertThat(cells(line)).as("cells of %s", line).isEqualTo(cells);
            }
        }
        return tables;
    }

    /** The cells of a table line, ignoring escaped bars. */
    static int cells(String line) {
        return line.replace("\\|", "").split("\\|", -1).length - 2;
    }

    /** The cells of a row, trimmed. */
    static List<String> row(String line) {
        String[] parts = line.replace("\\|", "\u0000").split("\\|", -1);
        List<String> cells = new ArrayList<>();
        for (int i = 1; i < parts.length - 1; i++) {
            cells.add(parts[i].trim().replace('\u0000', '|'));
        }
        return cells;
    }
}
