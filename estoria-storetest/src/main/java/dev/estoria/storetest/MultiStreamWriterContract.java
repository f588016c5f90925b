package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DuplicateEventIdException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.ExpectedVersion;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.MultiStreamWriter;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamAppend;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link MultiStreamWriter}: several appends in one atomic step, each as {@code
 * appendStream} would make it after the ones before it in the list. Clauses MS-01..11.
 *
 * @param <S> the store type under test
 */
public abstract class MultiStreamWriterContract<S extends EventStore & MultiStreamWriter> extends StoreContract<S> {

    private static WritableEvent tagged(String tag) {
        return WritableEvent.of(EVENT_TYPE, tag.getBytes(StandardCharsets.UTF_8));
    }

    private static String tag(Event event) {
        return new String(event.data(), StandardCharsets.UTF_8);
    }

    private static AppendStreamOptions expecting(long version) {
        return AppendStreamOptions.expectingVersion(version);
    }

    /** The stream's events, or none if it does not exist. */
    private List<Event> readIfExists(TypeId streamId) {
        try {
            return readAll(streamId);
        } catch (StreamNotFoundException e) {
            return List.of();
        }
    }

    @Test
    @DisplayName("MS-01 appends to several streams at once; each append returns what a read returns")
    void appendsToSeveralStreams() {
        TypeId a = newStreamId();
        TypeId b = newStreamId();
        append(a, 2);
        List<List<Event>> written = store.appendStreams(List.of(
                StreamAppend.of(a, events(2, 1), expecting(2)),
                StreamAppend.of(b, events(3), AppendStreamOptions.expectingNoStream())));
        assertThat(written).hasSize(2);
        assertThat(versions(written.get(0))).containsExactly(3L);
        assertThat(versions(written.get(1))).containsExactly(1L, 2L, 3L);
        assertThat(written.get(0)).allSatisfy(e -> assertThat(e.streamId()).isEqualTo(a));
        assertThat(written.get(1)).allSatisfy(e -> assertThat(e.streamId()).isEqualTo(b));
        assertThat(readAll(a).subList(2, 3)).containsExactlyElementsOf(written.get(0));
        assertThat(readAll(b)).containsExactlyElementsOf(written.get(1));
        assertThat(written.get(1).get(0).data()).isEqualTo(payload(0));
    }

    @Test
    @DisplayName("MS-02 where the store has a global order, positions increase in list order")
    void positionsFollowTheList() {
        if (!(store instanceof GlobalReader global)) {
            return; // the clause is about global order, which this store does not keep
        }
        TypeId a = newStreamId();
        TypeId b = newStreamId();
        List<List<Event>> written = store.appendStreams(List.of(
                StreamAppend.of(b, events(2)), StreamAppend.of(a, events(1)), StreamAppend.of(b, events(2, 1))));
        List<Event> flat = written.stream().flatMap(List::stream).toList();
        List<Long> positions = positions(flat);
        assertThat(positions).isSorted().doesNotHaveDuplicates();
        try (StreamIterator all = global.readAll(ReadAllOptions.after(positions.get(0) - 1))) {
            assertThat(drain(all)).containsExactlyElementsOf(flat);
        }
    }

    @Test
    @DisplayName("MS-03 one refused expectation writes nothing of the call and names its stream and versions")
    void oneRefusalWritesNothing() {
        TypeId a = newStreamId();
        TypeId b = newStreamId();
        TypeId c = newStreamId();
        append(b, 1);
        List<Event> before = readAll(b);
        assertThatThrownBy(() -> store.appendStreams(List.of(
                StreamAppend.of(a, events(2), AppendStreamOptions.expectingNoStream()),
                StreamAppend.of(b, events(1), expecting(5)),
                StreamAppend.of(c, events(1)))))
                .isInstanceOfSatisfying(StreamVersionMismatchException.class, e -> {
                    assertThat(e.streamId()).isEqualTo(b);
                    assertThat(e.actualVersion()).isEqualTo(1);
                    assertThat(e.expected()).isEqualTo(ExpectedVersion.exact(5));
                });
        assertThatThrownBy(() -> store.readStream(a, ReadStreamOptions.defaults()).close())
                .isInstanceOf(StreamNotFoundException.class);
        assertThatThrownBy(() -> store.readStream(c, ReadStreamOptions.defaults()).close())
                .isInstanceOf(StreamNotFoundException.class);
        assertThat(readAll(b)).isEqualTo(before);
        // The streams are as they were: the same call, corrected, writes from where they stood.
        List<List<Event>> written = store.appendStreams(List.of(
                StreamAppend.of(a, events(2), AppendStreamOptions.expectingNoStream()),
                StreamAppend.of(b, events(1), expecting(1))));
        assertThat(versions(written.get(0))).containsExactly(1L, 2L);
        assertThat(versions(written.get(1))).containsExactly(2L);
    }

    @Test
    @DisplayName("MS-04 a stream appended to twice in one call: the second expectation sees the first append")
    void sameStreamTwice() {
        TypeId a = newStreamId();
        List<List<Event>> written = store.appendStreams(List.of(
                StreamAppend.of(a, events(2), AppendStreamOptions.expectingNoStream()),
                StreamAppend.of(a, events(2, 1), expecting(2))));
        assertThat(versions(written.get(1))).containsExactly(3L);
        assertThat(readAll(a)).hasSize(3);

        assertThatThrownBy(() -> store.appendStreams(List.of(
                StreamAppend.of(a, events(1), expecting(3)),
                StreamAppend.of(a, events(1), expecting(3)))))
                .isInstanceOfSatisfying(StreamVersionMismatchException.class,
                        e -> assertThat(e.actualVersion()).as("the version the first append left").isEqualTo(4));
        assertThat(readAll(a)).hasSize(3);
    }

    @Test
    @DisplayName("MS-05 bad input is refused before anything is written")
    void badInputRefused() {
        TypeId a = newStreamId();
        TypeId b = newStreamId();
        assertThatThrownBy(() -> store.appendStreams(List.of())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> store.appendStreams(List.of(StreamAppend.of(a, events(1)), StreamAppend.of(b, List.of()))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(b.toString());
        assertThatThrownBy(() -> store.appendStreams(List.of(StreamAppend.of(a, events(1)),
                StreamAppend.of(b, List.of(tagged("x").withMetadata(Map.of("estoria.reserved", "1")))))))
                .isInstanceOf(IllegalArgumentException.class);
        List<StreamAppend> withNull = new ArrayList<>();
        withNull.add(StreamAppend.of(a, events(1)));
        withNull.add(null);
        assertThatThrownBy(() -> store.appendStreams(withNull)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> store.appendStreams(null)).isInstanceOf(NullPointerException.class);
        assertThat(readIfExists(a)).isEmpty();
        assertThat(readIfExists(b)).isEmpty();
    }

    @Test
    @DisplayName("MS-06 an event ID given twice in one call is refused, nothing written")
    void repeatedIdAcrossAppendsRefused() {
        TypeId a = newStreamId();
        TypeId b = newStreamId();
        UUID id = UUID.randomUUID();
        assertThatThrownBy(() -> store.appendStreams(List.of(
                StreamAppend.of(a, List.of(tagged("one").withEventId(id))),
                StreamAppend.of(b, List.of(tagged("two").withEventId(id))))))
                .isInstanceOfSatisfying(DuplicateEventIdException.class, e -> assertThat(e.eventId()).isEqualTo(id));
        assertThat(readIfExists(a)).isEmpty();
        assertThat(readIfExists(b)).isEmpty();
    }

    @Test
    @DisplayName("MS-07 repeating a call whose events carry their IDs writes nothing and returns the stored events")
    void retryIsIdempotent() {
        TypeId a = newStreamId();
        TypeId b = newStreamId();
        List<StreamAppend> call = List.of(
                StreamAppend.of(a, List.of(tagged("a1").withEventId(UUID.randomUUID()),
                        tagged("a2").withEventId(UUID.randomUUID())), AppendStreamOptions.expectingNoStream()),
                StreamAppend.of(b, List.of(tagged("b1").withEventId(UUID.randomUUID())), AppendStreamOptions.expectingNoStream()));
        List<List<Event>> first = store.appendStreams(call);
        List<List<Event>> again = store.appendStreams(call);
        assertThat(again).isEqualTo(first);
        assertThat(readAll(a)).hasSize(2);
        assertThat(readAll(b)).hasSize(1);
    }

    @Test
    @DisplayName("MS-11 the same call made by 8 threads at once is stored once, and each gets the stored events")
    void concurrentRetriesOfOneCall() throws Exception {
        TypeId a = newStreamId();
        TypeId b = newStreamId();
        List<StreamAppend> call = List.of(
                StreamAppend.of(a, List.of(tagged("a1").withEventId(UUID.randomUUID()))),
                StreamAppend.of(b, List.of(tagged("b1").withEventId(UUID.randomUUID()),
                        tagged("b2").withEventId(UUID.randomUUID()))));
        List<List<List<Event>>> results = runConcurrently(8, thread -> store.appendStreams(call));
        assertThat(results).allSatisfy(result -> assertThat(result).isEqualTo(results.get(0)));
        assertThat(readAll(a)).containsExactlyElementsOf(results.get(0).get(0));
        assertThat(readAll(b)).containsExactlyElementsOf(results.get(0).get(1));
    }

    @Test
    @DisplayName("MS-08 a stored append replayed beside a refused one stays stored; the new one is not written")
    void replayBesideARefusal() {
        TypeId a = newStreamId();
        TypeId b = newStreamId();
        StreamAppend stored = StreamAppend.of(a, List.of(tagged("a1").withEventId(UUID.randomUUID())));
        List<Event> kept = store.appendStreams(List.of(stored)).get(0);
        assertThatThrownBy(() -> store.appendStreams(List.of(stored,
                StreamAppend.of(b, List.of(tagged("b1")), expecting(1)))))
                .isInstanceOf(StreamVersionMismatchException.class);
        assertThat(readAll(a)).containsExactlyElementsOf(kept);
        assertThat(readIfExists(b)).isEmpty();
        List<List<Event>> both = store.appendStreams(List.of(stored, StreamAppend.of(b, List.of(tagged("b1")))));
        assertThat(both.get(0)).containsExactlyElementsOf(kept);
        assertThat(versions(both.get(1))).containsExactly(1L);
        assertThat(readAll(a)).hasSize(1);
    }

    @Test
    @DisplayName("MS-09 does not modify the caller's list, and later changes to it change nothing stored")
    void inputsNotModified() {
        TypeId a = newStreamId();
        List<WritableEvent> events = new ArrayList<>(events(2));
        List<StreamAppend> call = new ArrayList<>(List.of(StreamAppend.of(a, events)));
        events.clear();
        store.appendStreams(call);
        assertThat(call).hasSize(1);
        assertThat(readAll(a)).hasSize(2);
    }

    @Test
    @DisplayName("MS-10 concurrent transfers between shared streams: each call lands whole or not at all")
    void concurrentCallsAreAtomic() throws Exception {
        TypeId[] accounts = {newStreamId(), newStreamId(), newStreamId()};
        for (TypeId account : accounts) {
            append(account, 1);
        }
        int threads = 6;
        int callsPerThread = 20;
        // Each call moves a token between two accounts with exact expectations read just before, so
        // calls race on shared streams; a refused call is retried with fresh versions.
        List<List<String>> landed = runConcurrently(threads, thread -> {
            List<String> mine = new ArrayList<>();
            for (int n = 0; n < callsPerThread; n++) {
                TypeId from = accounts[(thread + n) % accounts.length];
                TypeId to = accounts[(thread + n + 1) % accounts.length];
                String tag = "t" + thread + "-" + n;
                for (int attempt = 0; ; attempt++) {
                    long fromVersion = readAll(from).getLast().streamVersion();
                    long toVersion = readAll(to).getLast().streamVersion();
                    try {
                        store.appendStreams(List.of(
                                StreamAppend.of(from, List.of(tagged(tag + "-out")), expecting(fromVersion)),
                                StreamAppend.of(to, List.of(tagged(tag + "-in")), expecting(toVersion))));
                        mine.add(tag);
                        break;
                    } catch (StreamVersionMismatchException lost) {
                        assertThat(attempt).as("attempts of %s", tag).isLessThan(1_000);
                    }
                }
            }
            return mine;
        });
        Set<String> outs = new HashSet<>();
        Set<String> ins = new HashSet<>();
        for (TypeId account : accounts) {
            List<Event> events = readAll(account);
            assertThat(versions(events)).as("gapless versions of %s", account)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, events.size()).boxed().toList());
            for (Event e : events.subList(1, events.size())) {
                String t = tag(e);
                assertThat(t.endsWith("-out") ? outs.add(t.substring(0, t.length() - 4)) : ins.add(t.substring(0, t.length() - 3)))
                        .as("%s stored once", t).isTrue();
            }
        }
        Set<String> expected = new HashSet<>();
        landed.forEach(expected::addAll);
        assertThat(expected).hasSize(threads * callsPerThread);
        assertThat(outs).as("debits").isEqualTo(expected);
        assertThat(ins).as("credits").isEqualTo(expected);
    }
}
