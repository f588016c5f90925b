package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs the real {@code ./estoria} launcher as a user would. Runs after the package phase, so the
 * launcher finds an up-to-date jar and does not build.
 */
class LauncherIT {

    static final Path ROOT = Path.of(System.getProperty("user.dir")).getParent();

    @TempDir
    Path dir;

    record Outcome(int exitCode, String out, String err) {}

    static Outcome launch(Path workDir, String... args) throws Exception {
        Path out = Files.createTempFile(workDir, "out", ".txt");
        Path err = Files.createTempFile(workDir, "err", ".txt");
        Process process = launcher(workDir, args)
                .redirectOutput(out.toFile())
                .redirectError(err.toFile())
                .start();
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).as("launcher finished").isTrue();
        return new Outcome(process.exitValue(), Files.readString(out), Files.readString(err));
    }

    static ProcessBuilder launcher(Path workDir, String... args) {
        List<String> command = new java.util.ArrayList<>(List.of(ROOT.resolve("estoria").toString()));
        command.addAll(List.of(args));
        return new ProcessBuilder(command).directory(workDir.toFile()).redirectInput(ProcessBuilder.Redirect.PIPE);
    }

    @Test
    void demoThenReadWorkInADirectoryOfTheUsersChoice() throws Exception {
        Outcome demo = launch(dir, "demo");

        assertThat(demo.exitCode()).as(demo.err()).isZero();
        assertThat(demo.err()).isEmpty();
        assertThat(demo.out()).startsWith("Wrote 13 events").contains("Try next:", ROOT.resolve("estoria") + " streams");
        assertThat(dir.resolve("estoria.db")).exists();

        Outcome streams = launch(dir, "streams");
        assertThat(streams.exitCode()).isZero();
        assertThat(streams.out().lines()).hasSize(3);

        Outcome notFound = launch(dir, "read", "account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a");
        assertThat(notFound.exitCode()).isEqualTo(ExitCodes.STREAM_NOT_FOUND);
        assertThat(notFound.err()).isEqualTo("error: stream not found: account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a\n");
    }

    @Test
    void tailStopsCleanlyOnSigint() throws Exception {
        assertThat(launch(dir, "demo").exitCode()).isZero();
        Path err = dir.resolve("tail-err.txt");
        ProcessBuilder builder = launcher(dir, "tail", "--after", "12").redirectError(err.toFile());
        // A build started in the background of a shell script inherits SIGINT ignored, and so would
        // tail: the JVM then installs no handler and Ctrl-C cannot reach it. Give it the default back.
        builder.command().addAll(0, List.of("env", "--default-signal=INT"));
        Process tail = builder.start();
        try (BufferedReader out = new BufferedReader(new InputStreamReader(tail.getInputStream(), StandardCharsets.UTF_8))) {
            // The thirteenth event arrives once tail is following the log.
            assertThat(out.readLine()).contains("\"globalPosition\":13,");

            // The shell's own kill: the launcher needs bash anyway, a kill binary may be missing.
            new ProcessBuilder("bash", "-c", "kill -INT " + tail.pid()).start().waitFor();

            assertThat(tail.waitFor(20, TimeUnit.SECONDS)).as("tail ended").isTrue();
            assertThat(tail.exitValue()).isEqualTo(130);
            assertThat(out.readLine()).isNull();
        } catch (IOException | AssertionError e) {
            tail.destroyForcibly();
            throw e;
        }
        assertThat(Files.readString(err)).isEmpty();
    }
}
