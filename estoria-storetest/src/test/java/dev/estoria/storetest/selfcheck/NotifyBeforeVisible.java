package dev.estoria.storetest.selfcheck;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.spi.AppendListeners;
import dev.estoria.typeid.TypeId;
import java.util.List;

/** Wakes listeners before the append commits (notify, then a 20 ms commit). */
final class NotifyBeforeVisible extends FaultyStore {
    private final AppendListeners listeners = new AppendListeners("notify-before-visible");

    @Override
    public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
        listeners.wake(); // BUG: before the events are visible
        try {
            Thread.sleep(20);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        return delegate.appendStream(streamId, events, options);
    }

    @Override
    public AutoCloseable onAppend(Runnable listener) {
        return listeners.add(listener);
    }
}
