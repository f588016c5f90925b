package dev.estoria.sqlite;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Starts a test main class in a separate JVM with the test classpath. */
final class ChildJvm {

    private ChildJvm() {
    }

    static Process start(Class<?> main, List<String> jvmOptions, List<String> args, Path stderr) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.add("--enable-native-access=ALL-UNNAMED");
        command.addAll(jvmOptions);
        command.add("-cp");
        command.add(System.getProperty("java.class.path"));
        command.add(main.getName());
        command.addAll(args);
        return new ProcessBuilder(command).redirectError(stderr.toFile()).start();
    }

    static BufferedReader stdout(Process process) {
        return new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    }

    /** The child's standard error, for failure messages. */
    static String errors(Path stderr) {
        try {
            String text = Files.readString(stderr);
            return text.isEmpty() ? "(no output on stderr)" : text;
        } catch (IOException e) {
            return "(stderr unreadable: " + e + ")";
        }
    }
}
