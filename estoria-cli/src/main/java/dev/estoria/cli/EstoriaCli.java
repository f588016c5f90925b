package dev.estoria.cli;

import dev.estoria.EstoriaException;
import dev.estoria.cli.format.Printable;
import dev.estoria.cli.store.StoreUnavailableException;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import java.io.BufferedWriter;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.lang.reflect.Method;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.regex.Pattern;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.IVersionProvider;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.ParseResult;
import picocli.CommandLine.Spec;

/**
 * The {@code estoria} command: works with the events in a store from the shell.
 *
 * <p>Every subcommand takes {@code --db FILE} or {@code --postgres URL [--schema NAME]}. Events are printed as NDJSON (see {@link
 * dev.estoria.cli.format.EventJson}) or, with {@code --format table}, as a table. Errors are one line
 * on stderr, starting with {@code error:}, and set the exit codes of {@link ExitCodes}; input is
 * checked before the store is opened, so bad input writes nothing.
 */
@Command(name = "estoria",
        mixinStandardHelpOptions = true,
        versionProvider = EstoriaCli.Version.class,
        synopsisSubcommandLabel = "COMMAND",
        description = "Append, read, follow, export and import the events of an Estoria store, and list its projections.",
        subcommands = {
            DemoCommand.class,
            AppendCommand.class,
            ReadCommand.class,
            ReadAllCommand.class,
            TailCommand.class,
            StreamsCommand.class,
            DeleteCommand.class,
            ExportCommand.class,
            ImportCommand.class,
            ProjectionsCommand.class,
            BenchCommand.class,
        },
        exitCodeListHeading = "%nExit codes:%n",
        exitCodeList = {
            "0:ok",
            "1:bad input or usage (nothing was written)",
            "2:stream not found",
            "3:version mismatch (nothing was written)",
            "4:any other store error",
        },
        footer = {"", "Start with: estoria demo"})
public final class EstoriaCli implements Callable<Integer> {

    /** Picocli names a bad positional value by its index; the converter's message says enough. */
    private static final Pattern POSITIONAL_PREFIX =
            Pattern.compile("^Invalid value for positional parameter at index \\d+ \\([^)]+\\): ");

    private final CliEnvironment environment;

    @Spec
    CommandSpec spec;

    @Mixin
    StoreOptions storeOptions;

    private EstoriaCli(CliEnvironment environment) {
        this.environment = Objects.requireNonNull(environment, "environment");
    }

    /** The environment the subcommands run in. */
    CliEnvironment environment() {
        return environment;
    }

    /** Without a subcommand: show the usage and fail, as for any usage error. */
    @Override
    public Integer call() {
        spec.commandLine().usage(spec.commandLine().getErr());
        return ExitCodes.BAD_INPUT;
    }

    /**
     * Builds the command line for {@code environment}, printing to {@code out} and {@code err}. Tests
     * run commands through it in-process.
     */
    public static CommandLine commandLine(CliEnvironment environment, PrintWriter out, PrintWriter err) {
        CommandLine commandLine = new CommandLine(new EstoriaCli(environment));
        // Usage and error hints show the command as the user typed it, such as ./estoria.
        commandLine.setCommandName(environment.programName());
        commandLine.setOut(out);
        commandLine.setErr(err);
        commandLine.setCaseInsensitiveEnumValuesAllowed(true);
        // An argument such as --data @note is data, not the name of a file of more arguments.
        commandLine.setExpandAtFiles(false);
        commandLine.setExecutionExceptionHandler((exception, failed, parseResult) ->
                reportFailure(environment, exception, failed, parseResult));
        commandLine.setParameterExceptionHandler(EstoriaCli::reportUsageError);
        return commandLine;
    }

    /**
     * Runs one command and returns its exit code; output is flushed before returning.
     */
    public static int run(CliEnvironment environment, PrintWriter out, PrintWriter err, String... args) {
        try {
            return commandLine(environment, out, err).execute(args);
        } finally {
            out.flush();
            err.flush();
        }
    }

    /** The entry point of the {@code estoria} launcher. */
    public static void main(String[] args) {
        // Write bytes straight to the file descriptors: System.out swallows write errors, and tail
        // must notice a closed stdout.
        System.exit(runWithStandardStreams(new FileOutputStream(FileDescriptor.out),
                new FileOutputStream(FileDescriptor.err), args));
    }

    /**
     * Runs one command writing to {@code stdout} and {@code stderr}, as {@link #main} does; returns the
     * exit code. Commands stop quietly when stdout fails (a reader that went away, as with {@code
     * | head}); a failure other than a closed pipe (a full disk, say) then turns their exit code 0
     * into 4, with one line on stderr, so output that was cut short never passes for whole.
     */
    static int runWithStandardStreams(OutputStream stdout, OutputStream stderr, String[] args) {
        FailureRecordingStream recording = new FailureRecordingStream(stdout);
        PrintWriter out = new PrintWriter(new BufferedWriter(new OutputStreamWriter(recording, StandardCharsets.UTF_8),
                1 << 16), false);
        PrintWriter err = new PrintWriter(new OutputStreamWriter(stderr, StandardCharsets.UTF_8), true);
        String program = System.getProperty("estoria.program", "estoria");
        CliEnvironment environment = new CliEnvironment(
                StoreOpeners.standard(program),
                System.in,
                isTerminal("estoria.stdinIsTerminal"),
                isTerminal("estoria.stderrIsTerminal"),
                program,
                Interrupts.shutdownHooks(),
                System.getenv("ESTORIA_DEBUG") != null,
                Clock.systemUTC());
        int code = run(environment, out, err, args);
        IOException failure = recording.failure;
        if (code == ExitCodes.OK && failure != null && !isClosedPipe(failure)) {
            err.println("error: cannot write to stdout: " + failure.getMessage());
            code = ExitCodes.STORE_ERROR;
        }
        return code;
    }

    /** Whether a write failed because the reader of the pipe went away (EPIPE). */
    static boolean isClosedPipe(IOException failure) {
        String message = failure.getMessage();
        return message != null && message.contains("Broken pipe");
    }

    /** Passes writes through, keeping the first failure, which {@link PrintWriter} swallows. */
    private static final class FailureRecordingStream extends FilterOutputStream {
        volatile IOException failure;

        FailureRecordingStream(OutputStream out) {
            super(out);
        }

        @Override
        public void write(byte[] bytes, int offset, int length) throws IOException {
            try {
                out.write(bytes, offset, length);
            } catch (IOException e) {
                record(e);
                throw e;
            }
        }

        @Override
        public void write(int b) throws IOException {
            try {
                out.write(b);
            } catch (IOException e) {
                record(e);
                throw e;
            }
        }

        @Override
        public void flush() throws IOException {
            try {
                out.flush();
            } catch (IOException e) {
                record(e);
                throw e;
            }
        }

        private void record(IOException e) {
            if (failure == null) {
                failure = e;
            }
        }
    }

    /**
     * Whether a standard stream is a terminal, as the launcher found it ({@code true} or {@code false}
     * in the system property {@code property}); run without the launcher, whether a person sits at
     * the terminal at all, which is the best the JDK can tell.
     */
    static boolean isTerminal(String property) {
        String told = System.getProperty(property);
        return told != null ? Boolean.parseBoolean(told) : isInteractive();
    }

    /**
     * Whether a person sits at the terminal: {@link System#console()} is present and, on JDKs that
     * can tell (22+), attached to a terminal (which it is only when stdin and stdout both are).
     */
    static boolean isInteractive() {
        java.io.Console console = System.console();
        if (console == null) {
            return false;
        }
        try {
            Method isTerminal = java.io.Console.class.getMethod("isTerminal");
            return (Boolean) isTerminal.invoke(console);
        } catch (NoSuchMethodException olderJdk) {
            return true;
        } catch (ReflectiveOperationException | RuntimeException e) {
            return false;
        }
    }

    private static int reportUsageError(ParameterException exception, String[] args) {
        CommandLine failed = exception.getCommandLine();
        PrintWriter err = failed.getErr();
        String message = POSITIONAL_PREFIX.matcher(oneLine(exception.getMessage())).replaceFirst("")
                .replaceFirst("^Error: ", "") // picocli's own prefix, as in "Error: --a, --b are mutually exclusive"
                .replace("option option ", "option "); // picocli's "Value for option option '--meta'
        err.println("error: " + message
                + " (see '" + failed.getCommandSpec().qualifiedName() + " --help')");
        err.flush();
        return ExitCodes.BAD_INPUT;
    }

    private static int reportFailure(
            CliEnvironment environment, Exception exception, CommandLine failed, ParseResult parseResult) {
        int code = exitCode(exception);
        PrintWriter err = failed.getErr();
        String message = exception.getMessage() == null ? exception.getClass().getName() : exception.getMessage();
        if (code == ExitCodes.STORE_ERROR && !(exception instanceof EstoriaException)) {
            message = "unexpected " + exception.getClass().getSimpleName() + ": " + message;
        }
        if (exception instanceof UncheckedIOException io && io.getCause() != null) {
            message = "I/O error: " + io.getCause().getMessage();
        }
        err.println("error: " + oneLine(message));
        if (environment.debug()) {
            exception.printStackTrace(err);
        }
        err.flush();
        return code;
    }

    static int exitCode(Exception exception) {
        return switch (exception) {
            case StreamNotFoundException e -> ExitCodes.STREAM_NOT_FOUND;
            case StreamVersionMismatchException e -> ExitCodes.VERSION_MISMATCH;
            case BadInputException e -> ExitCodes.BAD_INPUT;
            case StoreUnavailableException e -> ExitCodes.BAD_INPUT;
            case IllegalArgumentException e -> ExitCodes.BAD_INPUT;
            default -> ExitCodes.STORE_ERROR;
        };
    }

    /** The message on one line, its other control characters shown escaped (a NUL, an ESC). */
    private static String oneLine(String message) {
        return Printable.escapeControls(message.replaceAll("\\s*\\R\\s*", " ").strip());
    }

    /** Reads the version the build wrote into the jar. */
    static final class Version implements IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties properties = new Properties();
            try (InputStream in = EstoriaCli.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    properties.load(in);
                }
            }
            return new String[] {"estoria " + properties.getProperty("version", "(unknown version)")};
        }
    }
}
