package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Through the launcher's own streams: a stdout that fails for any reason but a closed pipe (a full
 * disk) makes a listing fail with exit code 4, while a reader that went away stops it quietly.
 */
class StdoutFailureTest {

    static final String STREAM = "account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a";

    @TempDir
    Path dir;
    String db;

    /** A stdout whose every write fails as the system call would. */
    static OutputStream failing(String reason) {
        return new OutputStream() {
            @Override
            public void write(int b) throws IOException {
                throw new IOException(reason);
            }

            @Override
            public void write(byte[] bytes, int offset, int length) throws IOException {
                throw new IOException(reason);
            }
        };
    }

    @BeforeEach
    void oneEvent() {
        db = dir.resolve("events.db").toString();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int code = EstoriaCli.runWithStandardStreams(new ByteArrayOutputStream(), err,
                new String[] {"append", STREAM, "--type", "opened", "--data", "{}", "--db", db});
        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
    }

    @ParameterizedTest
    @ValueSource(strings = {"read-all", "streams", "read|" + STREAM})
    void aFullDiskFailsTheListing(String command) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int code = EstoriaCli.runWithStandardStreams(failing("No space left on device"), err,
                (command + "|--db|" + db).split("\\|"));

        assertThat(code).isEqualTo(ExitCodes.STORE_ERROR);
        assertThat(err.toString(StandardCharsets.UTF_8)).isEqualTo("error: cannot write to stdout: No space left on device\n");
    }

    @ParameterizedTest
    @ValueSource(strings = {"read-all", "streams", "read|" + STREAM})
    void aClosedPipeEndsTheListingQuietly(String command) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int code = EstoriaCli.runWithStandardStreams(failing("Broken pipe"), err, (command + "|--db|" + db).split("\\|"));

        assertThat(code).isZero();
        assertThat(err.toString(StandardCharsets.UTF_8)).isEmpty();
    }

    @Test
    void aWorkingStdoutGetsTheEvents() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();

        int code = EstoriaCli.runWithStandardStreams(out, err, new String[] {"read-all", "--db", db});

        assertThat(code).as(err.toString(StandardCharsets.UTF_8)).isZero();
        assertThat(out.toString(StandardCharsets.UTF_8)).contains("\"streamId\":\"" + STREAM + "\"");
    }
}
