package dev.estoria.eventstore.memory;

import dev.estoria.eventstore.AppendNotifier;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Direction;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.MultiStreamWriter;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamAppend;
import dev.estoria.eventstore.StreamDeleter;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.StreamLister;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.spi.AppendListeners;
import dev.estoria.eventstore.spi.AppendValidation;
import dev.estoria.eventstore.spi.EventLocation;
import dev.estoria.eventstore.spi.IdempotentAppends;
import dev.estoria.typeid.TypeId;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.UUID;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The reference event store, held in memory: for tests and prototyping, not for production (it
 * keeps everything on the heap and loses it all when the process ends).
 *
 * <p>Implements {@link EventStore}, {@link GlobalReader}, {@link StreamDeleter}, {@link StreamLister}
 * and {@link MultiStreamWriter} exactly as their contracts state; the acceptance kit runs against it, and a clause this store cannot satisfy is a
 * wrong clause. Thread-safe: one read-write lock guards all state.
 *
 * <p><b>Global order.</b> Positions are allocated and published inside the same exclusive critical
 * section, so the global log is always in position order and a reader can never see position P
 * before every lower position is settled: the stable prefix holds by construction. Positions start
 * at 1 and are never reused, even after deletion.
 *
 * <p>{@link AppendNotifier} listeners run on the appending thread right after each append is
 * visible, outside the lock.
 *
 * <p>Stored {@link Event}s are immutable values, so neither a caller's input nor a returned event can
 * change what is stored. Timestamps come from the configured {@link Clock} at its full precision.
 */
public final class InMemoryEventStore
        implements EventStore, GlobalReader, StreamDeleter, StreamLister, AppendNotifier, MultiStreamWriter {

    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final Clock clock;

    // Guarded by lock.
    private final Map<TypeId, StreamRecord> streams = new HashMap<>();
    private final ArrayList<Event> log = new ArrayList<>();
    private final Map<UUID, EventLocation> eventIds = new HashMap<>();
    private long lastPosition;

    private final AppendListeners listeners = new AppendListeners("in-memory event store");

    private InMemoryEventStore(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** A new, empty store using the system UTC clock. */
    public static InMemoryEventStore create() {
        return new InMemoryEventStore(Clock.systemUTC());
    }

    /** A new, empty store whose timestamps come from {@code clock}. */
    public static InMemoryEventStore withClock(Clock clock) {
        return new InMemoryEventStore(clock);
    }

    /** A stream's events; the tip survives truncation, so appends continue after it. */
    private static final class StreamRecord {
        final ArrayList<Event> events = new ArrayList<>();
        long tip;

        long firstRetainedVersion() {
            return events.isEmpty() ? tip + 1 : events.get(0).streamVersion();
        }
    }

    @Override
    public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
        List<WritableEvent> batch = AppendValidation.validate(streamId, events, options);
        List<Event> written = append(streamId, batch, options);
        listeners.wake();
        return written;
    }

    @Override
    public AutoCloseable onAppend(Runnable listener) {
        return listeners.add(listener);
    }

    /**
     * Applies the appends one after another under the write lock, undoing those applied when one is
     * refused, so that no reader, which needs the read lock, sees part of the call.
     */
    @Override
    public List<List<Event>> appendStreams(List<StreamAppend> appends) {
        List<List<WritableEvent>> batches = AppendValidation.validateAll(appends);
        List<StreamAppend> calls = List.copyOf(appends); // validated: no nulls
        List<List<Event>> written = new ArrayList<>(batches.size());
        lock.writeLock().lock();
        try {
            Instant now = clock.instant();
            // The appends that wrote, in order; a replay of stored events wrote nothing to undo.
            List<Integer> wrote = new ArrayList<>();
            try {
                for (int a = 0; a < batches.size(); a++) {
                    StreamAppend append = calls.get(a);
                    long before = lastPosition;
                    written.add(applyLocked(append.streamId(), batches.get(a), append.options(), now));
                    if (lastPosition != before) {
                        wrote.add(a);
                    }
                }
            } catch (RuntimeException refused) {
                for (int w = wrote.size() - 1; w >= 0; w--) {
                    int a = wrote.get(w);
                    undoLocked(calls.get(a).streamId(), written.get(a));
                }
                throw refused;
            }
        } finally {
            lock.writeLock().unlock();
        }
        listeners.wake();
        return List.copyOf(written);
    }

    private List<Event> append(TypeId streamId, List<WritableEvent> batch, AppendStreamOptions options) {
        lock.writeLock().lock();
        try {
            return applyLocked(streamId, batch, options, null);
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Takes back the events {@link #applyLocked} wrote last: they are the newest of their stream and
     * of the log. A stream they created goes too (a stream that exists has a tip of 1 or more).
     */
    private void undoLocked(TypeId streamId, List<Event> written) {
        StreamRecord stream = streams.get(streamId);
        int n = written.size();
        log.subList(log.size() - n, log.size()).clear();
        stream.events.subList(stream.events.size() - n, stream.events.size()).clear();
        stream.tip -= n;
        lastPosition -= n;
        for (Event e : written) {
            eventIds.remove(e.id().uuid());
        }
        if (stream.tip == 0) {
            streams.remove(streamId);
        }
    }

    /** One append, under the write lock; {@code now} is the call's time, or null to read the clock. */
    private List<Event> applyLocked(TypeId streamId, List<WritableEvent> batch, AppendStreamOptions options,
            Instant now) {
        StreamRecord stream = streams.get(streamId);
        OptionalLong stored = IdempotentAppends.classify(streamId, batch, eventIds::get);
        if (stored.isPresent()) {
            List<Event> run = storedRun(stream, stored.getAsLong(), batch.size());
            IdempotentAppends.requireSameContent(streamId, batch, run);
            return run;
        }
        long current = stream == null ? 0 : stream.tip;
        if (!options.expectedVersion().isSatisfiedBy(current)) {
            throw new StreamVersionMismatchException(streamId, options.expectedVersion(), current);
        }
        if (now == null) {
            now = clock.instant();
        }
        List<Event> written = new ArrayList<>(batch.size());
        for (int i = 0; i < batch.size(); i++) {
            WritableEvent w = batch.get(i);
            UUID uuid = w.eventId().orElseGet(TypeId::timeOrderedV7);
            Event event = new Event(new TypeId(w.type(), uuid), streamId, current + i + 1,
                    OptionalLong.of(lastPosition + i + 1), now, w.data(), w.contentType(), w.metadata());
            written.add(event);
        }
        // Nothing can fail past this point, so the append is all-or-nothing. A new stream's record
        // is created only here: created earlier, a failure above (the clock, say) would leave a
        // stream with no events and tip 0, which reads, lists and deletes as if it existed.
        if (stream == null) {
            stream = new StreamRecord();
            streams.put(streamId, stream);
        }
        lastPosition += batch.size();
        stream.tip = current + batch.size();
        stream.events.addAll(written);
        log.addAll(written);
        for (Event e : written) {
            eventIds.put(e.id().uuid(), new EventLocation(streamId, e.streamVersion()));
        }
        return List.copyOf(written);
    }

    private static List<Event> storedRun(StreamRecord stream, long firstVersion, int size) {
        int from = (int) (firstVersion - stream.firstRetainedVersion());
        return List.copyOf(stream.events.subList(from, from + size));
    }

    @Override
    public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(options, "options");
        lock.readLock().lock();
        try {
            StreamRecord stream = streams.get(streamId);
            if (stream == null) {
                throw new StreamNotFoundException(streamId);
            }
            List<Event> events = stream.events;
            long first = stream.firstRetainedVersion();
            int limit = limit(options.count());
            if (options.direction() == Direction.FORWARD) {
                long skip = Math.max(0, options.afterVersion() - first + 1);
                if (skip >= events.size()) {
                    return StreamIterator.empty();
                }
                int from = (int) skip;
                int to = (int) Math.min(events.size(), (long) from + limit);
                return StreamIterator.of(events.subList(from, to));
            }
            long top = options.afterVersion() == 0 ? stream.tip : Math.min(options.afterVersion(), stream.tip);
            int highIndex = (int) (top - first); // inclusive; negative when below the retained range
            if (highIndex < 0 || events.isEmpty()) {
                return StreamIterator.empty();
            }
            int lowIndex = (int) Math.max(0, (long) highIndex - limit + 1);
            List<Event> reversed = new ArrayList<>(highIndex - lowIndex + 1);
            for (int i = highIndex; i >= lowIndex; i--) {
                reversed.add(events.get(i));
            }
            return StreamIterator.of(reversed);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public StreamIterator readAll(ReadAllOptions options) {
        Objects.requireNonNull(options, "options");
        lock.readLock().lock();
        try {
            int from = firstIndexAfter(options.afterPosition());
            if (from >= log.size()) {
                return StreamIterator.empty();
            }
            int limit = limit(options.count());
            // Copying the range under the lock fixes the frontier of this read.
            if (options.filter().isAll()) {
                return StreamIterator.of(log.subList(from, (int) Math.min(log.size(), (long) from + limit)));
            }
            List<Event> selected = new ArrayList<>();
            for (int i = from; i < log.size() && selected.size() < limit; i++) {
                Event e = log.get(i);
                if (options.filter().test(e)) {
                    selected.add(e);
                }
            }
            return StreamIterator.of(selected);
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public long headPosition() {
        lock.readLock().lock();
        try {
            return log.isEmpty() ? 0 : log.get(log.size() - 1).globalPosition().orElseThrow();
        } finally {
            lock.readLock().unlock();
        }
    }

    private static int limit(long count) {
        return count == 0 || count > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) count;
    }

    /** Index of the first log entry with a position above {@code position}; positions have gaps. */
    private int firstIndexAfter(long position) {
        int low = 0;
        int high = log.size();
        while (low < high) {
            int mid = (low + high) >>> 1;
            if (log.get(mid).globalPosition().getAsLong() <= position) {
                low = mid + 1;
            } else {
                high = mid;
            }
        }
        return low;
    }

    @Override
    public void deleteStream(TypeId streamId, DeleteStreamOptions options) {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(options, "options");
        lock.writeLock().lock();
        try {
            StreamRecord stream = streams.get(streamId);
            if (stream == null) {
                throw new StreamNotFoundException(streamId);
            }
            long cut = options.isTruncation() ? Math.min(options.toVersion(), stream.tip) : stream.tip;
            // Events are in version order, so the removed ones are a prefix.
            int removed = (int) Math.max(0, cut - stream.firstRetainedVersion() + 1);
            List<Event> prefix = stream.events.subList(0, removed);
            for (Event e : prefix) {
                eventIds.remove(e.id().uuid());
            }
            prefix.clear();
            if (removed > 0) {
                log.removeIf(e -> e.streamId().equals(streamId) && e.streamVersion() <= cut);
            }
            if (!options.isTruncation()) {
                streams.remove(streamId);
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    @Override
    public List<StreamInfo> listStreams() {
        lock.readLock().lock();
        try {
            List<StreamInfo> result = new ArrayList<>(streams.size());
            streams.forEach((id, stream) -> result.add(new StreamInfo(id, stream.tip)));
            result.sort(java.util.Comparator.comparing(StreamInfo::streamId));
            return result;
        } finally {
            lock.readLock().unlock();
        }
    }
}
