package dev.estoria.bench;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.EventStore;
import dev.estoria.typeid.TypeId;

/** Appends through an Estoria {@link EventStore}; closing the subject closes the store and runs the cleanup. */
final class EstoriaSubject implements AppendSubject {

    private final EventStore store;
    private final Runnable cleanup;

    EstoriaSubject(EventStore store, Runnable cleanup) {
        this.store = store;
        this.cleanup = cleanup;
    }

    @Override
    public Writer writer(int index) {
        TypeId stream = TypeId.newV7(Payloads.STREAM_TYPE);
        return (expectedVersion, events) -> store.appendStream(stream, Payloads.batch(events),
                expectedVersion == 0 ? AppendStreamOptions.expectingNoStream()
                        : AppendStreamOptions.expectingVersion(expectedVersion));
    }

    @Override
    public void close() {
        try {
            if (store instanceof AutoCloseable closeable) {
                closeable.close();
            }
        } catch (RuntimeException e) {
            throw e;
        } catch (Exception e) {
            throw new IllegalStateException("closing the store failed: " + e, e);
        } finally {
            cleanup.run();
        }
    }
}
