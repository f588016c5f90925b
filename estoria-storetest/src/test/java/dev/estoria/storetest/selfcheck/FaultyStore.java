package dev.estoria.storetest.selfcheck;

import dev.estoria.eventstore.AppendNotifier;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamDeleter;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamLister;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.util.List;

/**
 * The memory store with one deliberate fault, so the kit's own tests can show that each fault is
 * caught. Subclasses override the one operation they break.
 */
class FaultyStore implements EventStore, GlobalReader, StreamDeleter, StreamLister, AppendNotifier {

    final InMemoryEventStore delegate = InMemoryEventStore.create();

    @Override
    public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
        return delegate.appendStream(streamId, events, options);
    }

    @Override
    public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
        return delegate.readStream(streamId, options);
    }

    @Override
    public StreamIterator readAll(ReadAllOptions options) {
        return delegate.readAll(options);
    }

    @Override
    public long headPosition() {
        return delegate.headPosition();
    }

    @Override
    public void deleteStream(TypeId streamId, DeleteStreamOptions options) {
        delegate.deleteStream(streamId, options);
    }

    @Override
    public List<StreamInfo> listStreams() {
        return delegate.listStreams();
    }

    @Override
    public AutoCloseable onAppend(Runnable listener) {
        return delegate.onAppend(listener);
    }
}
