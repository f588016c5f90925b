package dev.estoria.storetest.memory;

import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.EventStoreDecorator;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.MultiStreamWriter;
import dev.estoria.eventstore.StreamDeleter;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.storetest.DeletionGlobalReadContract;
import dev.estoria.storetest.EventStoreContract;
import dev.estoria.storetest.GlobalReaderContract;
import dev.estoria.storetest.MultiStreamWriterContract;
import dev.estoria.storetest.StreamDeleterContract;
import org.junit.jupiter.api.Nested;

/** A pass-through decorator keeps the whole contract of the store it wraps. */
class DecoratedStoreTest {

    /** An event store with these capabilities, as the decorated view exposes them. */
    interface FullStore extends EventStore, GlobalReader, StreamDeleter, MultiStreamWriter {
    }

    static FullStore decorated() {
        EventStore view = new EventStoreDecorator(InMemoryEventStore.create()) { }.asEventStore();
        GlobalReader global = (GlobalReader) view;
        StreamDeleter deleter = (StreamDeleter) view;
        MultiStreamWriter multi = (MultiStreamWriter) view;
        return new FullStore() {
            @Override
            public dev.estoria.eventstore.StreamIterator readStream(dev.estoria.typeid.TypeId id,
                    dev.estoria.eventstore.ReadStreamOptions options) {
                return view.readStream(id, options);
            }

            @Override
            public java.util.List<dev.estoria.eventstore.Event> appendStream(dev.estoria.typeid.TypeId id,
                    java.util.List<dev.estoria.eventstore.WritableEvent> events,
                    dev.estoria.eventstore.AppendStreamOptions options) {
                return view.appendStream(id, events, options);
            }

            @Override
            public dev.estoria.eventstore.StreamIterator readAll(dev.estoria.eventstore.ReadAllOptions options) {
                return global.readAll(options);
            }

            @Override
            public void deleteStream(dev.estoria.typeid.TypeId id, dev.estoria.eventstore.DeleteStreamOptions options) {
                deleter.deleteStream(id, options);
            }

            @Override
            public java.util.List<java.util.List<dev.estoria.eventstore.Event>> appendStreams(
                    java.util.List<dev.estoria.eventstore.StreamAppend> appends) {
                return multi.appendStreams(appends);
            }
        };
    }

    @Nested
    class Store extends EventStoreContract<FullStore> {
        @Override
        protected FullStore createStore() {
            return decorated();
        }
    }

    @Nested
    class Global extends GlobalReaderContract<FullStore> {
        @Override
        protected FullStore createStore() {
            return decorated();
        }
    }

    @Nested
    class MultiStream extends MultiStreamWriterContract<FullStore> {
        @Override
        protected FullStore createStore() {
            return decorated();
        }
    }

    @Nested
    class Deleter extends StreamDeleterContract<FullStore> {
        @Override
        protected FullStore createStore() {
            return decorated();
        }
    }

    @Nested
    class Deletion extends DeletionGlobalReadContract<FullStore> {
        @Override
        protected FullStore createStore() {
            return decorated();
        }
    }
}
