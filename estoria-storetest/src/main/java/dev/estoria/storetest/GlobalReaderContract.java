package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamIteratorClosedException;
import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link GlobalReader}: ascending global order, positions that agree with stream
 * reads, exclusive resume, count, a frontier fixed when the read is opened, empty reads as
 * iterators, and a tailing reader that sees every event exactly once while writers run. Clause IDs
 * GR-xx follow the original suite. Every test needs a store whose global log it owns.
 *
 * @param <S> the store type under test
 */
public abstract class GlobalReaderContract<S extends EventStore & GlobalReader> extends StoreContract<S> {

    /** The streams of the interleaved fixture. */
    protected TypeId a;
    protected TypeId b;
    protected TypeId c;

    /** Appends A+2, B+1, A+1, C+2, B+1: 7 events, final counts A=3, B=2, C=2. */
    protected List<Event> interleavedFixture() {
        a = newStreamId();
        b = newStreamId();
        c = newStreamId();
        List<Event> written = new ArrayList<>();
        written.addAll(append(a, 2));
        written.addAll(append(b, 1));
        written.addAll(append(a, 1));
        written.addAll(append(c, 2));
        written.addAll(append(b, 1));
        return written;
    }

    /** Drains a global read and closes it, checking the close succeeds. */
    protected List<Event> globalRead(ReadAllOptions options) {
        StreamIterator it = store.readAll(options);
        List<Event> events = drain(it);
        it.close();
        return events;
    }

    @Test
    @DisplayName("GR-01 yields all streams in ascending global order, versions consecutive per stream")
    void allStreamsInAscendingOrder() {
        interleavedFixture();
        List<Event> all = globalRead(ReadAllOptions.defaults());
        assertThat(all).hasSize(7);
        List<Long> positions = positions(all);
        assertThat(positions.get(0)).isPositive();
        for (int i = 1; i < positions.size(); i++) {
            assertThat(positions.get(i)).isGreaterThan(positions.get(i - 1));
        }
        Map<TypeId, List<Long>> versionsByStream = new LinkedHashMap<>();
        for (Event e : all) {
            versionsByStream.computeIfAbsent(e.streamId(), k -> new ArrayList<>()).add(e.streamVersion());
        }
        assertThat(versionsByStream.get(a)).containsExactly(1L, 2L, 3L);
        assertThat(versionsByStream.get(b)).containsExactly(1L, 2L);
        assertThat(versionsByStream.get(c)).containsExactly(1L, 2L);
    }

    @Test
    @DisplayName("GR-01b the global read follows append order across streams")
    void followsAppendOrder() {
        List<Event> written = interleavedFixture();
        assertThat(ids(globalRead(ReadAllOptions.defaults()))).containsExactlyElementsOf(ids(written));
    }

    @Test
    @DisplayName("GR-02 positions agree with stream reads and with what appendStream returned")
    void positionsAgreeWithStreamReads() {
        List<Event> written = interleavedFixture();
        List<Event> all = globalRead(ReadAllOptions.defaults());
        Map<TypeId, Event> byId = new HashMap<>();
        all.forEach(e -> byId.put(e.id(), e));
        for (TypeId stream : List.of(a, b, c)) {
            for (Event e : readAll(stream)) {
                assertThat(e.globalPosition()).isPresent();
                assertThat(byId).containsKey(e.id());
                assertThat(e).isEqualTo(byId.get(e.id()));
            }
        }
        assertThat(all).containsExactlyElementsOf(written);
    }

    @Test
    @DisplayName("GR-03 resumes after an exclusive position")
    void resumesAfterExclusivePosition() {
        interleavedFixture();
        List<Event> full = globalRead(ReadAllOptions.defaults());
        long p = full.get(2).globalPosition().orElseThrow();
        List<Event> resumed = globalRead(ReadAllOptions.after(p));
        assertThat(ids(resumed)).containsExactlyElementsOf(ids(full.subList(3, full.size())));
        assertThat(positions(resumed)).allMatch(pos -> pos > p);
    }

    @Test
    @DisplayName("GR-04 count bounds the read from the front")
    void countBoundsTheRead() {
        interleavedFixture();
        List<Event> full = globalRead(ReadAllOptions.defaults());
        assertThat(ids(globalRead(ReadAllOptions.defaults().count(3)))).containsExactlyElementsOf(ids(full.subList(0, 3)));
        long p = full.get(1).globalPosition().orElseThrow();
        assertThat(ids(globalRead(ReadAllOptions.after(p).count(2)))).containsExactlyElementsOf(ids(full.subList(2, 4)));
    }

    @Test
    @DisplayName("GR-05 a fresh read's frontier is fixed when readAll returns, and exhaustion is terminal")
    void freshReadFrontierIsFixed() {
        interleavedFixture();
        List<Event> baseline = globalRead(ReadAllOptions.defaults());
        TypeId late = newStreamId();
        StreamIterator it = store.readAll(ReadAllOptions.defaults());
        List<Event> seen = new ArrayList<>();
        append(late, 1);
        seen.add(it.next());
        seen.add(it.next());
        append(late, 2);
        seen.addAll(drain(it));
        assertThat(ids(seen)).containsExactlyElementsOf(ids(baseline));
        assertThat(it.hasNext()).as("exhaustion is terminal").isFalse();
        it.close();
        assertThat(globalRead(ReadAllOptions.defaults())).hasSize(baseline.size() + 3);
    }

    @Test
    @DisplayName("GR-06 a resumed read's frontier is fixed too")
    void resumedReadFrontierIsFixed() {
        interleavedFixture();
        List<Event> baseline = globalRead(ReadAllOptions.defaults());
        long p = baseline.get(1).globalPosition().orElseThrow();
        TypeId late = newStreamId();
        StreamIterator it = store.readAll(ReadAllOptions.after(p));
        List<Event> seen = new ArrayList<>();
        append(late, 1);
        seen.add(it.next());
        seen.add(it.next());
        append(late, 1);
        seen.addAll(drain(it));
        it.close();
        assertThat(ids(seen)).containsExactlyElementsOf(ids(baseline.subList(2, baseline.size())));
    }

    @Test
    @DisplayName("GR-07 empty and caught-up reads stay empty while appends race")
    void emptyAndCaughtUpReadsStayEmpty() {
        StreamIterator empty = store.readAll(ReadAllOptions.defaults());
        append(newStreamId(), 1);
        assertThat(empty.hasNext()).as("no live read from an empty snapshot").isFalse();
        append(newStreamId(), 1);
        assertThat(empty.hasNext()).as("no revival after exhaustion").isFalse();
        empty.close();

        List<Event> full = globalRead(ReadAllOptions.defaults());
        assertThat(full).hasSize(2);
        long tip = full.get(1).globalPosition().orElseThrow();
        StreamIterator caughtUp = store.readAll(ReadAllOptions.after(tip));
        List<Event> late = append(newStreamId(), 1);
        assertThat(caughtUp.hasNext()).isFalse();
        caughtUp.close();

        assertThat(ids(globalRead(ReadAllOptions.after(tip)))).containsExactlyElementsOf(ids(late));
    }

    @Test
    @DisplayName("GR-08 count caps without topping up from later appends")
    void countCapsWithoutToppingUp() {
        interleavedFixture();
        List<Event> baseline = globalRead(ReadAllOptions.defaults());
        long p = baseline.get(3).globalPosition().orElseThrow();
        TypeId late = newStreamId();
        StreamIterator it = store.readAll(ReadAllOptions.after(p).count(5));
        List<Event> seen = new ArrayList<>();
        append(late, 1);
        seen.add(it.next());
        append(late, 2);
        seen.addAll(drain(it));
        it.close();
        assertThat(ids(seen)).containsExactlyElementsOf(ids(baseline.subList(4, 7)));
    }

    @Test
    @DisplayName("GR-09 empty reads are iterators, not errors")
    void emptyReadsAreIterators() {
        assertThat(globalRead(ReadAllOptions.defaults())).isEmpty();
        interleavedFixture();
        List<Event> full = globalRead(ReadAllOptions.defaults());
        long tip = full.get(full.size() - 1).globalPosition().orElseThrow();
        assertThat(globalRead(ReadAllOptions.after(tip))).isEmpty();
        assertThat(globalRead(ReadAllOptions.after(tip + 100))).isEmpty();
        assertThat(globalRead(ReadAllOptions.after(Long.MAX_VALUE))).isEmpty();
    }

    @Test
    @DisplayName("GR-10 headPosition is 0 on an empty log, then the position of the newest event a global read yields")
    void headPositionIsTheNewestReadPosition() {
        assertThat(store.headPosition()).isZero();
        List<Event> written = interleavedFixture();
        long newest = written.get(written.size() - 1).globalPosition().orElseThrow();
        assertThat(store.headPosition()).isEqualTo(newest);
        List<Event> all = globalRead(ReadAllOptions.defaults());
        assertThat(all.get(all.size() - 1).globalPosition()).hasValue(store.headPosition());
        // Following from the head sees exactly what comes after it.
        long head = store.headPosition();
        List<Event> later = append(b, 2);
        assertThat(globalRead(ReadAllOptions.after(head))).containsExactlyElementsOf(later);
        assertThat(store.headPosition()).isEqualTo(later.get(1).globalPosition().orElseThrow());
    }

    @Test
    @DisplayName("global iterators: close is idempotent and reading after close throws")
    void globalIteratorClose() {
        interleavedFixture();
        StreamIterator it = store.readAll(ReadAllOptions.defaults());
        it.next();
        it.close();
        it.close();
        assertThatThrownBy(it::hasNext).isInstanceOf(StreamIteratorClosedException.class);
        assertThatThrownBy(it::next).isInstanceOf(StreamIteratorClosedException.class);
    }

    @Test
    @DisplayName("negative read-all options are refused when built, naming the field")
    void negativeReadAllOptionsRefused() {
        assertThatThrownBy(() -> ReadAllOptions.after(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("afterPosition");
        assertThatThrownBy(() -> ReadAllOptions.defaults().count(-5))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("count");
    }

    @Test
    @Timeout(120)
    @DisplayName("a reader tailing readAll while 8 writers append sees every event exactly once, in increasing positions")
    void tailingReaderSeesEveryEventOnce() throws Exception {
        int writers = 8;
        int appendsPerWriter = 40;
        AtomicBoolean writersDone = new AtomicBoolean();
        Set<TypeId> acknowledged = ConcurrentHashMap.newKeySet();
        List<Event> seen = new ArrayList<>();
        AtomicReference<Throwable> readerFailure = new AtomicReference<>();

        Thread reader = new Thread(() -> {
          try {
            long last = 0;
            while (true) {
                // Read the done flag before reading, so the final pass starts after every write.
                boolean finalPass = writersDone.get();
                try (StreamIterator it = store.readAll(ReadAllOptions.after(last).count(25))) {
                    while (it.hasNext()) {
                        Event e = it.next();
                        seen.add(e);
                        last = e.globalPosition().orElseThrow();
                    }
                }
                if (finalPass) {
                    try (StreamIterator rest = store.readAll(ReadAllOptions.after(last))) {
                        seen.addAll(drain(rest));
                    }
                    return;
                }
                Thread.onSpinWait();
            }
          } catch (Throwable t) {
              readerFailure.set(t);
          }
        });
        reader.start();
        try {
            runConcurrently(writers, writer -> {
                for (int i = 0; i < appendsPerWriter; i++) {
                    TypeId stream = newStreamId();
                    for (Event e : store.appendStream(stream, events(1 + i % 3), AppendStreamOptions.defaults())) {
                        acknowledged.add(e.id());
                    }
                }
                return null;
            });
        } finally {
            writersDone.set(true);
            reader.join(60_000);
        }
        assertThat(reader.isAlive()).as("reader finished").isFalse();
        assertThat(readerFailure.get()).as("reader failure").isNull();
        List<Long> positions = positions(seen);
        for (int i = 1; i < positions.size(); i++) {
            assertThat(positions.get(i)).as("position %d increases", i).isGreaterThan(positions.get(i - 1));
        }
        Set<TypeId> seenIds = new HashSet<>(ids(seen));
        assertThat(seenIds).as("no event seen twice").hasSize(seen.size());
        assertThat(seenIds).isEqualTo(acknowledged);
    }

    @Test
    @DisplayName("GR-11 empty and caught-up global iterators close like any other: reading after close throws")
    void emptyGlobalIteratorsClose() {
        StreamIterator empty = store.readAll(ReadAllOptions.defaults());
        assertThat(empty.hasNext()).isFalse();
        empty.close();
        assertThatThrownBy(empty::hasNext).isInstanceOf(StreamIteratorClosedException.class);
        assertThatThrownBy(empty::next).isInstanceOf(StreamIteratorClosedException.class);

        List<Event> written = interleavedFixture();
        long tip = written.get(written.size() - 1).globalPosition().orElseThrow();
        StreamIterator caughtUp = store.readAll(ReadAllOptions.after(tip));
        caughtUp.close();
        assertThatThrownBy(caughtUp::hasNext).isInstanceOf(StreamIteratorClosedException.class);
    }
}
