package dev.estoria.bench;

/** A line about the machine, for reports. */
final class Environment {

    private Environment() {
    }

    static String describe() {
        Runtime runtime = Runtime.getRuntime();
        return "Java " + Runtime.version() + ", " + runtime.availableProcessors() + " processors, max heap "
                + runtime.maxMemory() / (1024 * 1024) + " MiB, " + System.getProperty("os.name") + " "
                + System.getProperty("os.arch");
    }
}
