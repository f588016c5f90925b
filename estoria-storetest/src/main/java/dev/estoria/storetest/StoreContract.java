package dev.estoria.storetest;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

/**
 * Lifecycle and fixtures shared by the contract classes: a fresh store per test, closed afterwards,
 * and the conventions of the original suites (stream type {@code storetest}, event type {@code
 * eventtype}, payload {@code {"index":n}} for the n-th event).
 *
 * @param <S> the store type under test
 */
public abstract class StoreContract<S extends EventStore> extends KitFixture<S> {

    /** The stream type of every stream the kit creates. */
    public static final String STREAM_TYPE = "storetest";
    /** The event type of events the kit builds. */
    public static final String EVENT_TYPE = "eventtype";
    /** A content type no store could mistake for a default. */
    public static final String CONTENT_TYPE = "application/x-storetest";





    /** A fresh stream ID of type {@value #STREAM_TYPE}. */
    protected static TypeId newStreamId() {
        return TypeId.newV4(STREAM_TYPE);
    }

    /** The payload of the event at 0-based {@code index}: {@code {"index":index+1}}. */
    protected static byte[] payload(int index) {
        return ("{\"index\":" + (index + 1) + "}").getBytes(StandardCharsets.UTF_8);
    }

    /** {@code n} events of type {@value #EVENT_TYPE} with payloads {@code {"index":1..n}}. */
    protected static List<WritableEvent> events(int n) {
        return events(0, n);
    }

    /** {@code n} events whose payload indexes start after {@code offset}. */
    protected static List<WritableEvent> events(int offset, int n) {
        List<WritableEvent> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(WritableEvent.of(EVENT_TYPE, payload(offset + i)));
        }
        return list;
    }

    /** {@code n} events with content type {@value #CONTENT_TYPE} and metadata {@code correlation_id}. */
    protected static List<WritableEvent> richEvents(int n) {
        List<WritableEvent> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(WritableEvent.of(EVENT_TYPE, payload(i))
                    .withContentType(CONTENT_TYPE)
                    .withMetadata(Map.of("correlation_id", "abc-123")));
        }
        return list;
    }

    /** Appends {@code n} plain events to {@code streamId} and returns what the store wrote. */
    protected List<Event> append(TypeId streamId, int n) {
        return store.appendStream(streamId, events(n), AppendStreamOptions.defaults());
    }

    /** Reads a whole stream, oldest first, closing the iterator. */
    protected List<Event> readAll(TypeId streamId) {
        return read(streamId, ReadStreamOptions.defaults());
    }

    /** Reads with the given options, closing the iterator. */
    protected List<Event> read(TypeId streamId, ReadStreamOptions options) {
        try (StreamIterator it = store.readStream(streamId, options)) {
            return drain(it);
        }
    }

    /** Drains an iterator without closing it. */
    protected static List<Event> drain(StreamIterator it) {
        List<Event> list = new ArrayList<>();
        while (it.hasNext()) {
            list.add(it.next());
        }
        return list;
    }

    /** The stream versions of the events, in order. */
    protected static List<Long> versions(List<Event> events) {
        return events.stream().map(Event::streamVersion).toList();
    }

    /** The event IDs, in order. */
    protected static List<TypeId> ids(List<Event> events) {
        return events.stream().map(Event::id).toList();
    }

    /** The global positions, in order; fails if one is missing. */
    protected static List<Long> positions(List<Event> events) {
        return events.stream().map(e -> e.globalPosition().orElseThrow(
                () -> new AssertionError("event without a global position: " + e))).toList();
    }

    /** A task run by one of several threads; receives the thread's index. */
    @FunctionalInterface
    protected interface ThreadTask<T> {
        T run(int thread) throws Exception;
    }

    /**
     * Runs {@code task} on {@code threads} real threads, started together, and returns their results
     * in thread order; rethrows the first failure.
     */
    protected static <T> List<T> runConcurrently(int threads, ThreadTask<T> task) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            CyclicBarrier start = new CyclicBarrier(threads);
            List<Future<T>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                Callable<T> call = () -> {
                    start.await(30, TimeUnit.SECONDS);
                    return task.run(thread);
                };
                futures.add(pool.submit(call));
            }
            List<T> results = new ArrayList<>();
            for (Future<T> f : futures) {
                try {
                    results.add(f.get(120, TimeUnit.SECONDS));
                } catch (ExecutionException e) {
                    if (e.getCause() instanceof Exception cause) {
                        throw cause;
                    }
                    throw e;
                }
            }
            return results;
        } finally {
            pool.shutdownNow();
        }
    }
}
