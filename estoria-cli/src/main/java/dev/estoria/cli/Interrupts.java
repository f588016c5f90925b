package dev.estoria.cli;

/**
 * Where long-running commands learn that the user interrupted them (Ctrl-C). The process installs a
 * JVM shutdown hook; tests call the registered actions directly.
 */
@FunctionalInterface
public interface Interrupts {

    /**
     * Runs {@code onInterrupt} when the process is interrupted, until the returned registration is
     * closed. The action may block briefly to let the command finish cleanly before the process ends.
     */
    Registration register(Runnable onInterrupt);

    /** Ends a registration; closing it twice, or while the process is shutting down, is harmless. */
    interface Registration extends AutoCloseable {
        @Override
        void close();
    }

    /** Interrupts delivered through JVM shutdown hooks (SIGINT, SIGTERM). */
    static Interrupts shutdownHooks() {
        return onInterrupt -> {
            Thread hook = new Thread(onInterrupt, "estoria-interrupt");
            Runtime.getRuntime().addShutdownHook(hook);
            return () -> {
                try {
                    Runtime.getRuntime().removeShutdownHook(hook);
                } catch (IllegalStateException shuttingDown) {
                    // The hook is running or has run; nothing to undo.
                }
            };
        };
    }
}
