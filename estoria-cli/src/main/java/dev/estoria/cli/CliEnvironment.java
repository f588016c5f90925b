package dev.estoria.cli;

import dev.estoria.cli.store.StoreOpener;
import java.io.InputStream;
import java.time.Clock;
import java.util.Objects;

/**
 * What the commands take from the world around them, so that tests can run them in-process.
 *
 * @param opener opens the store named by {@code --db} or {@code --postgres}
 * @param stdin the standard input ({@code append} reads NDJSON lines from it)
 * @param stdinIsTerminal whether standard input is a terminal: keeps {@code append} from waiting
 *     for typed input
 * @param stderrIsTerminal whether standard error is a terminal: enables the progress bar of {@code
 *     import} and the notice of {@code tail}
 * @param programName how the user invoked the command, for the hints {@code demo} prints
 * @param interrupts how {@code tail} and {@code import -} learn of Ctrl-C
 * @param debug whether to print stack traces of unexpected errors
 * @param clock the time {@code projections} judges checkpoint ages by
 */
public record CliEnvironment(
        StoreOpener opener,
        InputStream stdin,
        boolean stdinIsTerminal,
        boolean stderrIsTerminal,
        String programName,
        Interrupts interrupts,
        boolean debug,
        Clock clock) {

    public CliEnvironment {
        Objects.requireNonNull(opener, "opener");
        Objects.requireNonNull(stdin, "stdin");
        Objects.requireNonNull(programName, "programName");
        Objects.requireNonNull(interrupts, "interrupts");
        Objects.requireNonNull(clock, "clock");
    }
}
