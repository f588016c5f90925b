package dev.estoria.storetest.selfcheck;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Direction;
import dev.estoria.eventstore.DuplicateEventIdException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ExpectedVersion;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/** Event stores with one deliberate fault each. */
final class BrokenEventStores {

    private BrokenEventStores() {
    }

    /**
     * Whole-stream deletion leaves a tombstone row behind, and streamExists() checks for the row
     * instead of the tip: an append expecting an existing stream succeeds on a deleted stream (and
     * recreates it at version 1).
     */
    static final class StreamExistsOnDeleted extends FaultyStore {
        private final Set<TypeId> tombstones = ConcurrentHashMap.newKeySet();

        @Override
        public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
            if (options.expectedVersion() instanceof ExpectedVersion.StreamExists && tombstones.contains(streamId)) {
                options = AppendStreamOptions.defaults(); // BUG: the tombstone row "exists"
            }
            List<Event> written = delegate.appendStream(streamId, events, options);
            tombstones.remove(streamId);
            return written;
        }

        @Override
        public void deleteStream(TypeId streamId, DeleteStreamOptions options) {
            delegate.deleteStream(streamId, options);
            if (!options.isTruncation()) {
                tombstones.add(streamId);
            }
        }
    }

    /**
     * Inserts event by event without a transaction: when a later event of a batch carries an ID that
     * is already stored in another stream, the events before it stay written.
     */
    static final class PartialBatchOnForeignId extends FaultyStore {
        @Override
        public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
            try {
                return delegate.appendStream(streamId, events, options);
            } catch (DuplicateEventIdException e) {
                int offending = -1;
                for (int i = 0; i < events.size(); i++) {
                    if (events.get(i).eventId().map(e.eventId()::equals).orElse(false)) {
                        offending = i;
                        break;
                    }
                }
                if (offending > 0) {
                    delegate.appendStream(streamId, events.subList(0, offending), options); // BUG
                }
                throw e;
            }
        }
    }

    /** One shared, already-ended iterator for every empty global or reverse read: its close() does nothing. */
    static final StreamIterator SHARED_EMPTY = new StreamIterator() {
        @Override
        public boolean hasNext() {
            return false;
        }

        @Override
        public Event next() {
            throw new NoSuchElementException();
        }

        @Override
        public void close() {
            // BUG: shared, so it can never be closed
        }
    };

    static final class SharedEmptyIterator extends FaultyStore {
        @Override
        public StreamIterator readAll(ReadAllOptions options) {
            StreamIterator it = delegate.readAll(options);
            if (!it.hasNext()) {
                it.close();
                return SHARED_EMPTY;
            }
            return it;
        }

        @Override
        public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
            StreamIterator it = delegate.readStream(streamId, options);
            if (options.direction() == Direction.REVERSE && !it.hasNext()) {
                it.close();
                return SHARED_EMPTY;
            }
            return it;
        }
    }

    /**
     * Timestamps an hour off (a local-time column read back as UTC), consistently in appends and
     * reads.
     */
    static final class ShiftedTimestamps extends FaultyStore {
        private static Event shift(Event e) {
            return new Event(e.id(), e.streamId(), e.streamVersion(), e.globalPosition(),
                    e.timestamp().minus(Duration.ofHours(1)), e.data(), e.contentType(), e.metadata());
        }

        private static StreamIterator shift(StreamIterator it) {
            return new StreamIterator() {
                @Override
                public boolean hasNext() {
                    return it.hasNext();
                }

                @Override
                public Event next() {
                    return shift(it.next());
                }

                @Override
                public void close() {
                    it.close();
                }
            };
        }

        @Override
        public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
            return delegate.appendStream(streamId, events, options).stream().map(ShiftedTimestamps::shift).toList();
        }

        @Override
        public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
            return shift(delegate.readStream(streamId, options));
        }

        @Override
        public StreamIterator readAll(ReadAllOptions options) {
            return shift(delegate.readAll(options));
        }
    }

    /**
     * noStream() checked with a read, then written in a second round trip: two creators racing on a
     * new stream can both succeed.
     */
    static final class CheckThenActNoStream extends FaultyStore {
        @Override
        public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
            if (options.expectedVersion() instanceof ExpectedVersion.NoStream
                    && events.stream().allMatch(e -> e.eventId().isEmpty())) {
                boolean exists;
                try (StreamIterator it = delegate.readStream(streamId, ReadStreamOptions.reverse().count(1))) {
                    exists = true;
                    long tip = it.hasNext() ? it.next().streamVersion() : -1;
                    if (tip != -1 || exists) {
                        long actual = delegate.listStreams().stream().filter(s -> s.streamId().equals(streamId))
                                .findFirst().map(s -> s.version()).orElse(0L);
                        throw new StreamVersionMismatchException(streamId, options.expectedVersion(), actual);
                    }
                } catch (StreamNotFoundException e) {
                    exists = false;
                }
                try {
                    Thread.sleep(5); // the second round trip
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                return delegate.appendStream(streamId, events, AppendStreamOptions.defaults()); // BUG: not atomic
            }
            return delegate.appendStream(streamId, events, options);
        }
    }
}
