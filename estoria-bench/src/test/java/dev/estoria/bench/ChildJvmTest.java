package dev.estoria.bench;

import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledOnOs;
import org.junit.jupiter.api.condition.OS;
import org.junit.jupiter.api.io.TempDir;

class ChildJvmTest {

    @TempDir
    Path dir;

    @Test
    @EnabledOnOs({OS.LINUX, OS.MAC})
    void aChildThatHangsIsStoppedAtTheTimeout() throws Exception {
        // Opening a named pipe blocks until something opens it for writing: the child hangs.
        Path fifo = dir.resolve("events.db");
        Process mkfifo = new ProcessBuilder("mkfifo", fifo.toString()).inheritIO().start();
        if (mkfifo.waitFor() != 0) {
            throw new IOException("mkfifo failed");
        }
        try {
            assertTimeoutPreemptively(Duration.ofSeconds(30), () -> {
                assertThatThrownBy(() -> ChildJvm.run(BenchSettings.CHILD_HEAP, List.of("sqlite", fifo.toString(), "1"),
                        3))
                        .isInstanceOf(IOException.class)
                        .hasMessageContaining("did not finish within 3 s");
            });
        } finally {
            // Releases a child still blocked on the pipe, so it ends.
            Thread.ofPlatform().daemon().start(() -> {
                try (OutputStream out = Files.newOutputStream(fifo)) {
                    out.flush();
                } catch (IOException e) {
                    // The child is gone.
                }
            });
        }
    }
}
