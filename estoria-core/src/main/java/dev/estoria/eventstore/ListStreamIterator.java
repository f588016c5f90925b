package dev.estoria.eventstore;

import java.util.List;
import java.util.NoSuchElementException;

/** A {@link StreamIterator} over a list captured when the read was made. */
final class ListStreamIterator implements StreamIterator {

    private List<Event> events;
    private int next;

    ListStreamIterator(List<Event> events) {
        this.events = List.copyOf(events);
    }

    @Override
    public boolean hasNext() {
        if (events == null) {
            throw new StreamIteratorClosedException();
        }
        return next < events.size();
    }

    @Override
    public Event next() {
        if (!hasNext()) {
            throw new NoSuchElementException("end of event stream");
        }
        return events.get(next++);
    }

    @Override
    public void close() {
        events = null;
    }
}
