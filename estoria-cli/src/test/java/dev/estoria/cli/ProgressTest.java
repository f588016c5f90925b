package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class ProgressTest {

    @Test
    void aTerminalGetsABarRedrawnInPlace() {
        StringWriter err = new StringWriter();
        Progress progress = Progress.create(new PrintWriter(err), true, "importing", 200);

        progress.advance(50);
        progress.advance(1); // same percentage: not redrawn
        progress.advance(149);
        progress.finish();

        assertThat(err.toString()).isEqualTo(
                "\rimporting [#######-----------------------]  25%  50/200"
                        + "\rimporting [##############################] 100%  200/200\n");
    }

    @Test
    void otherwiseSmallJobsPrintNothing() {
        StringWriter err = new StringWriter();
        Progress progress = Progress.create(new PrintWriter(err), false, "importing", 500);

        progress.advance(250);
        progress.advance(250);
        progress.finish();

        assertThat(err.toString()).isEmpty();
    }
}
