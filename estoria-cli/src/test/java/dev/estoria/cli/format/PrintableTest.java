package dev.estoria.cli.format;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class PrintableTest {

    @Test
    void controlCharactersAreShownEscapedAndTheRestIsKept() {
        assertThat(Printable.escapeControls("plain Grüße 🌍")).isEqualTo("plain Grüße 🌍");
        assertThat(Printable.escapeControls("li\nne\tand\r")).isEqualTo("li\\nne\\tand\\r");
        assertThat(Printable.escapeControls("e\u001b[31mvil\u0000\u007f\u0085"))
                .isEqualTo("e\\u001b[31mvil\\u0000\\u007f\\u0085");
    }

    @Test
    void aTableRowStaysOneLineWhateverItsCells() {
        StringWriter out = new StringWriter();
        Table table = Table.of(new PrintWriter(out, true), "TYPE", ">N");
        table.row("e\u001b[31mvil\nline", "1");
        table.finish("(none)");

        assertThat(out.toString().lines()).hasSize(2);
        assertThat(out.toString()).doesNotContain("\u001b").contains("e\\u001b[31mvil\\nline");
    }
}
