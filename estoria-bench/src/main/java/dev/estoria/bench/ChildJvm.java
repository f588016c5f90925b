package dev.estoria.bench;

import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/** Runs {@link CatchUpChild} in a separate JVM with a small heap and returns what it printed. */
final class ChildJvm {

    /** What the child printed and how it exited. */
    record Outcome(int exitCode, String output) {
    }

    private ChildJvm() {
    }

    static Outcome run(String heap, List<String> arguments, long timeoutSeconds)
            throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        List<String> command = new ArrayList<>();
        command.add(java.toString());
        command.add("-Xmx" + heap);
        command.add("--enable-native-access=ALL-UNNAMED");
        command.add("-cp");
        command.add(classpath());
        command.add(CatchUpChild.class.getName());
        command.addAll(arguments);
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        // Read on another thread: reading here would wait for the child's end without a timeout.
        ByteArrayOutputStream output = new ByteArrayOutputStream();
        Thread reader = Thread.ofVirtual().start(() -> {
            try (InputStream in = process.getInputStream()) {
                in.transferTo(output);
            } catch (IOException e) {
                // The child was stopped: what it printed so far is all there is.
            }
        });
        try {
            if (!process.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                process.destroyForcibly();
                throw new IOException("the catch-up child JVM did not finish within " + timeoutSeconds + " s");
            }
        } finally {
            process.destroyForcibly();
        }
        reader.join();
        return new Outcome(process.exitValue(), output.toString(StandardCharsets.UTF_8));
    }

    /**
     * The class path of this code: the class loaders' URLs where they are URL class loaders (as when
     * run through a build tool's in-process launcher), else the JVM's own class path.
     */
    static String classpath() {
        Set<String> entries = new LinkedHashSet<>();
        for (ClassLoader loader = ChildJvm.class.getClassLoader(); loader != null; loader = loader.getParent()) {
            if (loader instanceof URLClassLoader urls) {
                for (URL url : urls.getURLs()) {
                    try {
                        entries.add(Path.of(url.toURI()).toString());
                    } catch (URISyntaxException | IllegalArgumentException e) {
                        // Not a file: such an entry cannot be passed on.
                    }
                }
            }
        }
        String own = System.getProperty("java.class.path", "");
        if (!own.isEmpty()) {
            for (String entry : own.split(File.pathSeparator)) {
                entries.add(entry);
            }
        }
        return String.join(File.pathSeparator, entries);
    }
}
