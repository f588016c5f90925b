package dev.estoria.eventstore.spi;

import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The listeners of an {@link dev.estoria.eventstore.AppendNotifier}, kept as its contract asks:
 * each registration has its own identity, so closing one handle (even twice) never removes another
 * registration of the same listener; and {@link #wake} calls every listener, logging and ignoring
 * whatever one throws, {@link Error}s included, since the append it follows has succeeded and a
 * caller told otherwise would retry a write that was made. Thread-safe; listeners may be added and
 * removed while a wake-up runs.
 */
public final class AppendListeners {

    private static final System.Logger LOG = System.getLogger(AppendListeners.class.getName());

    private final String owner;
    private final CopyOnWriteArrayList<Runnable> listeners = new CopyOnWriteArrayList<>();

    /** @param owner names the store in log messages, such as {@code "event store on orders.db"} */
    public AppendListeners(String owner) {
        this.owner = Objects.requireNonNull(owner, "owner");
    }

    /**
     * Registers a listener.
     *
     * @return a handle whose {@code close()} removes this registration; idempotent
     */
    public AutoCloseable add(Runnable listener) {
        Objects.requireNonNull(listener, "listener");
        Runnable registration = listener::run;
        listeners.add(registration);
        return () -> listeners.remove(registration);
    }

    /** Whether no listener is registered. */
    public boolean isEmpty() {
        return listeners.isEmpty();
    }

    /**
     * Calls every listener on the calling thread. A listener that throws is logged and skipped;
     * only a {@link VirtualMachineError} other than a {@link StackOverflowError} (the JVM itself is
     * failing) is passed on, after the other listeners have run.
     */
    public void wake() {
        VirtualMachineError fatal = null;
        for (Runnable listener : listeners) {
            try {
                listener.run();
            } catch (StackOverflowError e) {
                // A listener's own runaway recursion, unwound by now: the JVM is fine.
                failed(e);
            } catch (VirtualMachineError e) {
                fatal = e;
            } catch (Throwable e) {
                failed(e);
            }
        }
        if (fatal != null) {
            throw fatal;
        }
    }

    private void failed(Throwable e) {
        LOG.log(System.Logger.Level.WARNING, "an append listener of the " + owner + " failed", e);
    }
}
