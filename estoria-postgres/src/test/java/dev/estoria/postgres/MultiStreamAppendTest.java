package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamAppend;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.AbstractList;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.LongStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * What {@code appendStreams} guarantees on PostgreSQL beyond the kit's contract: one transaction per
 * call (readers see all of it or none of it, and a failure takes back what was inserted), positions
 * in list order in both position modes, the per-transaction event limit, and calls that share
 * streams never failing on a deadlock.
 */
@Timeout(90)
class MultiStreamAppendTest {

    private final TestDatabase db = TestDatabase.get();
    /** Threads of their own: the common pool may run one task at a time, and these tasks block. */
    private final ExecutorService threads = Executors.newCachedThreadPool();
    private PostgresEventStore store;

    @AfterEach
    void drop() {
        threads.shutdownNow();
        db.discard(store);
    }

    private static PostgresOptions options(boolean strict) {
        return PostgresOptions.defaults().withStrictPositions(strict).withReadSettleTimeout(Duration.ofMillis(100));
    }

    private static List<WritableEvent> events(String... texts) {
        List<WritableEvent> events = new ArrayList<>();
        for (String text : texts) {
            events.add(WritableEvent.of("noted", text.getBytes(StandardCharsets.UTF_8)));
        }
        return events;
    }

    private List<Event> readAll() {
        return store.readAll(ReadAllOptions.defaults()).toList();
    }

    private List<Event> read(TypeId stream) {
        return store.readStream(stream, ReadStreamOptions.defaults()).toList();
    }

    private static List<Event> flat(List<List<Event>> written) {
        return written.stream().flatMap(List::stream).toList();
    }

    private static List<Long> positions(List<Event> events) {
        return events.stream().map(e -> e.globalPosition().orElseThrow()).toList();
    }

    @ParameterizedTest(name = "strict {0}")
    @ValueSource(booleans = {false, true})
    void readersSeeNoneOfACallBeforeItsCommitAndAllOfItAfterInListOrder(boolean strict) throws Exception {
        store = db.newStore(options(strict));
        TypeId a = TypeId.newV4("account");
        TypeId b = TypeId.newV4("account");
        TypeId c = TypeId.newV4("account");
        List<Event> before = store.appendStream(b, events("b1"));
        CountDownLatch lastIn = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        store.setAppendHook((stream, written) -> {
            if (stream.equals(b)) {
                lastIn.countDown();
                WatermarkRegressionTest.await(release);
            }
        });
        CompletableFuture<List<List<Event>>> call = CompletableFuture.supplyAsync(() -> store.appendStreams(List.of(
                StreamAppend.of(a, events("a1", "a2")), StreamAppend.of(b, events("b2")))), threads);
        assertThat(lastIn.await(30, TimeUnit.SECONDS)).isTrue();
        // An append to another stream, begun after the call: in watermark mode it commits at once,
        // in strict mode it waits for the allocator the call holds.
        CompletableFuture<List<Event>> later = CompletableFuture.supplyAsync(() -> store.appendStream(c, events("c1")), threads);
        if (!strict) {
            later.get(30, TimeUnit.SECONDS);
        }

        assertThatThrownBy(() -> read(a)).isInstanceOf(StreamNotFoundException.class);
        assertThat(read(b)).isEqualTo(before);
        assertThat(readAll()).as("the open call holds back what committed after it began").isEqualTo(before);

        release.countDown();
        List<List<Event>> written = call.get(30, TimeUnit.SECONDS);
        Event last = later.get(30, TimeUnit.SECONDS).get(0);
        assertThat(positions(flat(written))).isSorted().doesNotHaveDuplicates();
        List<Event> expected = new ArrayList<>(before);
        expected.addAll(flat(written));
        expected.add(last);
        assertThat(readAll()).containsExactlyElementsOf(expected);
        assertThat(read(a)).containsExactlyElementsOf(written.get(0));
        assertThat(read(b).get(1)).isEqualTo(written.get(1).get(0));
    }

    @ParameterizedTest(name = "strict {0}")
    @ValueSource(booleans = {false, true})
    void aFailureAfterSomeAppendsWereInsertedTakesBackTheWholeCall(boolean strict) {
        store = db.newStore(options(strict));
        TypeId a = TypeId.newV4("account");
        TypeId b = TypeId.newV4("account");
        store.setAppendHook((stream, written) -> {
            if (stream.equals(b)) {
                throw new IllegalStateException("abort requested by the test");
            }
        });
        assertThatThrownBy(() -> store.appendStreams(List.of(StreamAppend.of(a, events("a1")),
                StreamAppend.of(b, events("b1"))))).isInstanceOf(IllegalStateException.class);
        assertThatThrownBy(() -> read(a)).isInstanceOf(StreamNotFoundException.class);
        assertThatThrownBy(() -> read(b)).isInstanceOf(StreamNotFoundException.class);
        assertThat(store.listStreams()).isEmpty();
        assertThat(readAll()).isEmpty();

        store.setAppendHook(null);
        List<List<Event>> written = store.appendStreams(List.of(StreamAppend.of(a, events("a1")),
                StreamAppend.of(b, events("b1"))));
        assertThat(readAll()).containsExactlyElementsOf(flat(written));
        if (strict) {
            assertThat(positions(flat(written))).as("the rolled-back call reserved no positions").containsExactly(1L, 2L);
        }
    }

    @Test
    void strictPositionsStayDenseWhenACallReplaysAStoredAppend() {
        store = db.newStore(options(true));
        TypeId a = TypeId.newV4("account");
        TypeId b = TypeId.newV4("account");
        StreamAppend stored = StreamAppend.of(a, List.of(events("a1").get(0).withEventId(UUID.randomUUID())));
        List<Event> kept = store.appendStreams(List.of(stored)).get(0);
        List<List<Event>> written = store.appendStreams(List.of(stored, StreamAppend.of(b, events("b1", "b2"))));
        assertThat(written.get(0)).isEqualTo(kept);
        assertThat(positions(written.get(1))).containsExactly(2L, 3L);
        assertThat(positions(readAll())).containsExactly(1L, 2L, 3L);
    }

    @ParameterizedTest(name = "strict {0}")
    @ValueSource(booleans = {false, true})
    void aCallOverThePositionIndexIsRefusedAndWritesNothing(boolean strict) {
        store = db.newStore(options(strict));
        WritableEvent event = WritableEvent.of("e", new byte[0]);
        int half = Schema.MAX_EVENTS_PER_TRANSACTION / 2 + 1;
        List<WritableEvent> many = new AbstractList<>() {
            @Override
            public WritableEvent get(int index) {
                return event;
            }

            @Override
            public int size() {
                return half;
            }
        };
        TypeId a = TypeId.newV4("big");
        TypeId b = TypeId.newV4("big");
        assertThatThrownBy(() -> store.appendStreams(List.of(StreamAppend.of(a, many), StreamAppend.of(b, many))))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(Long.toString(2L * half)).hasMessageContaining("1048576");
        assertThat(store.listStreams()).isEmpty();
    }

    /**
     * Two calls each create a stream, then append to the other's: each waits for the other's
     * uncommitted row, a deadlock PostgreSQL breaks by failing one of them, which runs again.
     */
    @Test
    void callsCreatingTheSameStreamsInOppositeOrdersBothLandDespiteTheirDeadlock() throws Exception {
        store = db.newStore(options(false));
        TypeId n1 = TypeId.newV4("account");
        TypeId n2 = TypeId.newV4("account");
        CountDownLatch bothInserted = new CountDownLatch(2);
        store.setAppendHook((stream, written) -> {
            if (written.get(0).streamVersion() == 1 && tag(written.get(0)).startsWith("first")) {
                bothInserted.countDown();
                WatermarkRegressionTest.await(bothInserted);
            }
        });
        CompletableFuture<List<List<Event>>> one = CompletableFuture.supplyAsync(() -> store.appendStreams(List.of(
                StreamAppend.of(n1, events("first of one")), StreamAppend.of(n2, events("second of one")))), threads);
        CompletableFuture<List<List<Event>>> two = CompletableFuture.supplyAsync(() -> store.appendStreams(List.of(
                StreamAppend.of(n2, events("first of two")), StreamAppend.of(n1, events("second of two")))), threads);
        one.get(60, TimeUnit.SECONDS);
        two.get(60, TimeUnit.SECONDS);
        assertThat(store.retriedAppends()).as("the deadlock's victim ran again").isGreaterThanOrEqualTo(1);
        assertThat(read(n1)).extracting(Event::streamVersion).containsExactly(1L, 2L);
        assertThat(read(n2)).extracting(Event::streamVersion).containsExactly(1L, 2L);
    }

    /**
     * Two calls over the same existing streams, listed in opposite orders: the rows are locked in
     * one sorted order before any append, so the second call waits for the first instead of
     * locking one row and deadlocking on the other.
     */
    @Test
    void callsOverExistingStreamsInOppositeOrdersWaitInsteadOfDeadlocking() throws Exception {
        store = db.newOwnedStore(options(false));
        TypeId a = TypeId.newV4("account");
        TypeId b = TypeId.newV4("account");
        store.appendStream(a, events("a0"));
        store.appendStream(b, events("b0"));
        CountDownLatch firstIn = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean held = new AtomicBoolean();
        store.setAppendHook((stream, written) -> {
            if (stream.equals(a) && held.compareAndSet(false, true)) {
                firstIn.countDown();
                WatermarkRegressionTest.await(release);
            }
        });
        CompletableFuture<List<List<Event>>> one = CompletableFuture.supplyAsync(() -> store.appendStreams(List.of(
                StreamAppend.of(a, events("a from one")), StreamAppend.of(b, events("b from one")))), threads);
        assertThat(firstIn.await(30, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<List<List<Event>>> two = CompletableFuture.supplyAsync(() -> store.appendStreams(List.of(
                StreamAppend.of(b, events("b from two")), StreamAppend.of(a, events("a from two")))), threads);
        db.awaitLockWaiter(Schema.applicationName(store.options().schema(), ""), "the second call waits for the first");
        release.countDown();
        List<List<Event>> first = one.get(30, TimeUnit.SECONDS);
        List<List<Event>> second = two.get(30, TimeUnit.SECONDS);
        assertThat(store.retriedAppends()).as("no deadlock").isZero();
        assertThat(first.get(0).get(0).streamVersion()).isEqualTo(2);
        assertThat(second.get(0).get(0).streamVersion()).isEqualTo(3);
        assertThat(second.get(1).get(0).streamVersion()).isEqualTo(3);
    }

    /**
     * Calls over shared streams, in random list orders, race with single appends to the same
     * streams, which a writer lane groups in its own order: every call and append lands, once.
     */
    @ParameterizedTest(name = "strict {0}")
    @ValueSource(booleans = {false, true})
    void callsRacingSingleAppendsOnSharedStreamsAllLand(boolean strict) throws Exception {
        store = db.newStore(options(strict).withMaxGroupAppends(8));
        TypeId[] streams = {TypeId.newV4("account"), TypeId.newV4("account"), TypeId.newV4("account")};
        int rounds = 25;
        List<CompletableFuture<Integer>> workers = new ArrayList<>();
        for (int w = 0; w < 4; w++) {
            int worker = w;
            workers.add(CompletableFuture.supplyAsync(() -> {
                int events = 0;
                for (int n = 0; n < rounds; n++) {
                    List<StreamAppend> call = new ArrayList<>();
                    for (TypeId stream : streams) {
                        if (ThreadLocalRandom.current().nextBoolean() || call.isEmpty()) {
                            call.add(StreamAppend.of(stream, events("m" + worker + "-" + n)));
                        }
                    }
                    Collections.shuffle(call);
                    List<List<Event>> written = store.appendStreams(call);
                    assertThat(positions(flat(written))).isSorted();
                    events += call.size();
                }
                return events;
            }, threads));
        }
        for (int w = 0; w < 3; w++) {
            int worker = w;
            workers.add(CompletableFuture.supplyAsync(() -> {
                for (int n = 0; n < rounds; n++) {
                    store.appendStream(streams[(worker + n) % streams.length], events("s" + worker + "-" + n),
                            AppendStreamOptions.defaults());
                }
                return rounds;
            }, threads));
        }
        int expected = 0;
        for (CompletableFuture<Integer> worker : workers) {
            expected += worker.get(80, TimeUnit.SECONDS);
        }
        int stored = 0;
        for (TypeId stream : streams) {
            List<Event> events = read(stream);
            assertThat(events).extracting(Event::streamVersion)
                    .containsExactlyElementsOf(LongStream.rangeClosed(1, events.size()).boxed().toList());
            stored += events.size();
        }
        assertThat(stored).isEqualTo(expected);
        assertThat(readAll()).hasSize(expected);
        assertThat(positions(readAll())).isSorted().doesNotHaveDuplicates();
    }

    private static String tag(Event event) {
        return new String(event.data(), StandardCharsets.UTF_8);
    }
}
