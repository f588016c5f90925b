package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.AppendNotifier;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.typeid.TypeId;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link AppendNotifier}: a listener is called after an append, once the appended
 * events are visible to a global read, and not after it is unregistered.
 *
 * @param <S> the store type under test
 */
public abstract class AppendNotifierContract<S extends EventStore & GlobalReader & AppendNotifier>
        extends StoreContract<S> {

    @Test
    @Timeout(60)
    @DisplayName("a listener runs after an append, when the events are already visible")
    void listenerSeesVisibleEvents() throws Exception {
        // Listeners must not call back into the store, so the listener only signals and the test
        // thread reads.
        LinkedBlockingQueue<String> calls = new LinkedBlockingQueue<>();
        try (AutoCloseable registration = store.onAppend(() -> calls.add("appended"))) {
            TypeId stream = newStreamId();
            List<Event> written = append(stream, 2);
            assertThat(calls.poll(30, TimeUnit.SECONDS)).as("listener called").isEqualTo("appended");
            try (StreamIterator it = store.readAll(ReadAllOptions.defaults())) {
                assertThat(drain(it)).containsAll(written);
            }
        }
    }

    @Test
    @Timeout(60)
    @DisplayName("a throwing listener neither fails the append nor keeps other listeners from running")
    void throwingListenerIsIsolated() throws Exception {
        LinkedBlockingQueue<String> calls = new LinkedBlockingQueue<>();
        try (AutoCloseable bad = store.onAppend(() -> {
            throw new IllegalStateException("listener bug");
        }); AutoCloseable good = store.onAppend(() -> calls.add("good"))) {
            TypeId stream = newStreamId();
            List<Event> written = append(stream, 1);
            assertThat(written).hasSize(1);
            assertThat(calls.poll(30, TimeUnit.SECONDS)).isEqualTo("good");
            assertThat(readAll(stream)).containsExactlyElementsOf(written);
        }
    }

    @Test
    @Timeout(60)
    @DisplayName("a listener throwing an Error neither fails the append nor keeps other listeners from running, append after append")
    void listenerThrowingAnErrorIsIsolated() throws Exception {
        LinkedBlockingQueue<String> calls = new LinkedBlockingQueue<>();
        try (AutoCloseable bad = store.onAppend(() -> {
            throw new AssertionError("listener bug");
        }); AutoCloseable good = store.onAppend(() -> calls.add("good"))) {
            for (int i = 0; i < 3; i++) {
                TypeId stream = newStreamId();
                List<Event> written = append(stream, 1);
                assertThat(calls.poll(30, TimeUnit.SECONDS)).as("append " + i).isEqualTo("good");
                assertThat(readAll(stream)).containsExactlyElementsOf(written);
            }
        }
    }

    @Test
    @Timeout(60)
    @DisplayName("closing a handle, even twice, removes only its own registration of a listener registered twice")
    void closingAHandleTwiceRemovesOnlyItsRegistration() throws Exception {
        LinkedBlockingQueue<String> calls = new LinkedBlockingQueue<>();
        Runnable listener = () -> calls.add("called");
        AutoCloseable first = store.onAppend(listener);
        try (AutoCloseable second = store.onAppend(listener)) {
            first.close();
            first.close();
            append(newStreamId(), 1);
            assertThat(calls.poll(30, TimeUnit.SECONDS)).isEqualTo("called");
        }
    }

    @Test
    @Timeout(60)
    @DisplayName("closing the store calls its listeners once more, so waiting subscribers learn of it at once")
    void closingTheStoreWakesListeners() throws Exception {
        Assumptions.assumeTrue(store instanceof AutoCloseable, "the store cannot be closed");
        LinkedBlockingQueue<String> calls = new LinkedBlockingQueue<>();
        store.onAppend(() -> calls.add("woken"));
        ((AutoCloseable) store).close();
        assertThat(calls.poll(30, TimeUnit.SECONDS)).isEqualTo("woken");
    }

    @Test
    @Timeout(60)
    @DisplayName("an unregistered listener is no longer called")
    void unregisteredListenerNotCalled() throws Exception {
        LinkedBlockingQueue<String> calls = new LinkedBlockingQueue<>();
        AutoCloseable gone = store.onAppend(() -> calls.add("gone"));
        gone.close();
        try (AutoCloseable kept = store.onAppend(() -> calls.add("kept"))) {
            append(newStreamId(), 1);
            assertThat(calls.poll(30, TimeUnit.SECONDS)).isEqualTo("kept");
            // The kept listener proves the append was signalled; the removed one must not follow it.
            assertThat(calls.poll(200, TimeUnit.MILLISECONDS)).isNotEqualTo("gone");
        }
    }

    @Test
    @Timeout(60)
    @DisplayName("AN-07 a read started from a listener call after the append began already sees the appended events")
    void readFromNotificationSeesTheAppend() throws Exception {
        ExecutorService readers = Executors.newSingleThreadExecutor();
        try {
            long head = store.headPosition();
            AtomicBoolean appending = new AtomicBoolean();
            LinkedBlockingQueue<Integer> seen = new LinkedBlockingQueue<>();
            // The listener only hands the read to another thread, so it never calls the store itself.
            try (AutoCloseable registration = store.onAppend(() -> {
                if (appending.get()) {
                    readers.submit(() -> {
                        try (StreamIterator it = store.readAll(ReadAllOptions.after(head))) {
                            seen.add(drain(it).size());
                        }
                    });
                }
            })) {
                appending.set(true);
                append(newStreamId(), 2);
                Integer first = seen.poll(30, TimeUnit.SECONDS);
                assertThat(first).as("events visible to a read started by the first notification").isEqualTo(2);
            }
        } finally {
            readers.shutdownNow();
        }
    }
}
