package dev.estoria.storetest.selfcheck;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.spi.AppendListeners;
import dev.estoria.typeid.TypeId;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;

/**
 * Wakes listeners before the append commits (notify, then a commit slow enough that a global read
 * started meanwhile finishes first: the commit waits for one, for up to 10 s).
 */
final class NotifyBeforeVisible extends FaultyStore {
    private final AppendListeners listeners = new AppendListeners("notify-before-visible");
    private final Semaphore reads = new Semaphore(0);

    @Override
    public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
        reads.drainPermits();
        listeners.wake(); // BUG: before the events are visible
        try {
            reads.tryAcquire(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return delegate.appendStream(streamId, events, options);
    }

    @Override
    public StreamIterator readAll(ReadAllOptions options) {
        // Read in full before the commit may go on, so the read cannot see it.
        List<Event> events = delegate.readAll(options).toList();
        reads.release();
        return StreamIterator.of(events);
    }

    @Override
    public AutoCloseable onAppend(Runnable listener) {
        return listeners.add(listener);
    }
}
