package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DuplicateEventIdException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.ExpectedVersion;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamIteratorClosedException;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The contract of {@link EventStore}: appends, stream reads, expectations, idempotent appends, input
 * validation, iterator behaviour and concurrency. Clause IDs ES-xx follow the original suite.
 *
 * @param <S> the store type under test
 */
public abstract class EventStoreContract<S extends EventStore> extends StoreContract<S> {

    // ---------------------------------------------------------------- appends and reads

    @Test
    @DisplayName("ES-01 assigns ID, stream ID, 1-based gapless versions and a timestamp")
    void assignsIdStreamVersionAndTimestamp() {
        TypeId stream = newStreamId();
        append(stream, 3);
        List<Event> read = readAll(stream);
        assertThat(read).hasSize(3);
        for (int i = 0; i < 3; i++) {
            Event e = read.get(i);
            assertThat(e.id().uuid()).isNotEqualTo(new UUID(0, 0));
            assertThat(e.id().type()).as("event ID type is the event type").isEqualTo(EVENT_TYPE);
            assertThat(e.type()).isEqualTo(EVENT_TYPE);
            assertThat(e.streamId()).isEqualTo(stream);
            assertThat(e.streamVersion()).isEqualTo(i + 1);
            assertThat(e.timestamp().toEpochMilli()).isPositive();
        }
        assertThat(ids(read)).doesNotHaveDuplicates();
    }

    @Test
    @DisplayName("ES-02 returns the written events exactly as a later read returns them")
    void returnsWrittenEventsExactlyAsRead() {
        TypeId stream = newStreamId();
        List<Event> written = store.appendStream(stream, richEvents(3), AppendStreamOptions.defaults());
        List<Event> read = readAll(stream);
        assertThat(written).hasSize(3);
        // Event equality covers every field: ID, stream, version, position, timestamp, bytes,
        // content type and metadata.
        assertThat(read).containsExactlyElementsOf(written);
    }

    @Test
    @DisplayName("ES-02b appends to an existing stream return events equal to a later read")
    void laterAppendsAlsoReturnEventsOfRecord() {
        TypeId stream = newStreamId();
        List<Event> first = append(stream, 2);
        List<Event> second = store.appendStream(stream, richEvents(2), AppendStreamOptions.expectingVersion(2));
        List<Event> all = new ArrayList<>(first);
        all.addAll(second);
        assertThat(readAll(stream)).containsExactlyElementsOf(all);
        assertThat(versions(second)).containsExactly(3L, 4L);
    }

    @Test
    @DisplayName("ES-03 round-trips payloads byte for byte, in append order")
    void roundTripsData() {
        TypeId stream = newStreamId();
        append(stream, 10);
        List<Event> read = readAll(stream);
        assertThat(read).hasSize(10);
        for (int i = 0; i < 10; i++) {
            assertThat(read.get(i).data()).isEqualTo(payload(i));
        }
    }

    @Test
    @DisplayName("ES-03b round-trips arbitrary bytes: non-JSON, non-UTF-8, empty and large payloads")
    void roundTripsArbitraryBytes() {
        TypeId stream = newStreamId();
        byte[] binary = new byte[256];
        for (int i = 0; i < binary.length; i++) {
            binary[i] = (byte) i;
        }
        byte[] large = new byte[1 << 20];
        new java.util.Random(42).nextBytes(large);
        List<byte[]> payloads = List.of(
                "event 1 data".getBytes(StandardCharsets.UTF_8), binary, new byte[0], large,
                "{ \"b\" : 1,  \"a\":2 }".getBytes(StandardCharsets.UTF_8));
        List<WritableEvent> batch = payloads.stream().map(p -> WritableEvent.of(EVENT_TYPE, p)).toList();
        store.appendStream(stream, batch, AppendStreamOptions.defaults());
        List<Event> read = readAll(stream);
        assertThat(read).hasSize(payloads.size());
        for (int i = 0; i < payloads.size(); i++) {
            assertThat(Arrays.equals(read.get(i).data(), payloads.get(i))).as("payload %d verbatim", i).isTrue();
        }
    }

    @Test
    @DisplayName("ES-04 round-trips metadata")
    void roundTripsMetadata() {
        TypeId stream = newStreamId();
        Map<String, String> metadata = new HashMap<>(Map.of("correlation_id", "abc-123", "actor", "user-7"));
        store.appendStream(stream, List.of(WritableEvent.of(EVENT_TYPE, payload(0)).withMetadata(metadata)),
                AppendStreamOptions.defaults());
        List<Event> read = readAll(stream);
        assertThat(read).hasSize(1);
        assertThat(read.get(0).metadata()).containsExactlyInAnyOrderEntriesOf(
                Map.of("correlation_id", "abc-123", "actor", "user-7"));
    }

    @Test
    @DisplayName("ES-04b round-trips awkward metadata: empty values, quotes, newlines, unicode, many keys")
    void roundTripsAwkwardMetadata() {
        TypeId stream = newStreamId();
        Map<String, String> metadata = new HashMap<>();
        metadata.put("empty", "");
        metadata.put("quote\"key", "va\"lue\\with\\backslash");
        metadata.put("newline", "line1\nline2\r\n\ttab");
        metadata.put("unicode", "Grüße 🌍 — ✓");
        metadata.put("", "empty key");
        metadata.put("nul", "a\u0000b");
        for (int i = 0; i < 50; i++) {
            metadata.put("k" + i, "v" + i);
        }
        store.appendStream(stream, List.of(WritableEvent.of(EVENT_TYPE, payload(0)).withMetadata(metadata)),
                AppendStreamOptions.defaults());
        assertThat(readAll(stream).get(0).metadata()).isEqualTo(metadata);
    }

    @Test
    @DisplayName("ES-05 stores the content type verbatim and never defaults an empty one")
    void contentTypeVerbatimIncludingEmpty() {
        TypeId stream = newStreamId();
        store.appendStream(stream, List.of(
                WritableEvent.of(EVENT_TYPE, payload(0)).withContentType(CONTENT_TYPE),
                WritableEvent.of(EVENT_TYPE, payload(1)),
                WritableEvent.json(EVENT_TYPE, "{\"index\":3}")), AppendStreamOptions.defaults());
        List<Event> read = readAll(stream);
        assertThat(read.get(0).contentType()).isEqualTo(CONTENT_TYPE);
        assertThat(read.get(1).contentType()).isEmpty();
        assertThat(read.get(2).contentType()).isEqualTo("application/json");
    }

    @Test
    @DisplayName("ES-06 does not modify the input events, and callers cannot change stored events")
    void doesNotModifyInputAndCannotBeChangedThroughReturnedValues() {
        TypeId stream = newStreamId();
        byte[] data = payload(0);
        Map<String, String> metadata = new HashMap<>(Map.of("correlation_id", "abc-123"));
        WritableEvent input = new WritableEvent(EVENT_TYPE, data, CONTENT_TYPE, metadata, java.util.Optional.empty());
        List<WritableEvent> batch = new ArrayList<>(List.of(input));
        List<Event> written = store.appendStream(stream, batch, AppendStreamOptions.defaults());

        // The input is unchanged.
        assertThat(batch).containsExactly(input);
        assertThat(input.type()).isEqualTo(EVENT_TYPE);
        assertThat(input.data()).isEqualTo(payload(0));
        assertThat(input.contentType()).isEqualTo(CONTENT_TYPE);
        assertThat(input.metadata()).isEqualTo(Map.of("correlation_id", "abc-123"));

        // Changing what the caller holds changes nothing stored.
        data[0] = 'X';
        metadata.put("injected", "yes");
        written.get(0).data()[0] = 'Y';
        assertThatThrownBy(() -> written.get(0).metadata().put("x", "y"))
                .isInstanceOf(UnsupportedOperationException.class);
        Event read = readAll(stream).get(0);
        assertThat(read.data()).isEqualTo(payload(0));
        assertThat(read.metadata()).isEqualTo(Map.of("correlation_id", "abc-123"));
    }

    @Test
    @DisplayName("ES-07 a never-written stream is not found, and the exception names it")
    void neverWrittenStreamIsNotFound() {
        TypeId stream = newStreamId();
        StreamNotFoundException e = catchThrowableOfType(StreamNotFoundException.class,
                () -> store.readStream(stream, ReadStreamOptions.defaults()).close());
        assertThat(e).isNotNull();
        assertThat(e.streamId()).isEqualTo(stream);
        assertThat(e.getMessage()).contains(stream.toString());
        // Options do not turn an absent stream into an empty one.
        assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults().afterVersion(3)).close())
                .isInstanceOf(StreamNotFoundException.class);
        assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.reverse()).close())
                .isInstanceOf(StreamNotFoundException.class);
    }

    @Test
    @DisplayName("ES-08 reading past the tip gives an empty iterator, not an error")
    void readingPastTipIsEmpty() {
        TypeId stream = newStreamId();
        append(stream, 10);
        assertThat(read(stream, ReadStreamOptions.defaults().afterVersion(10))).isEmpty();
        assertThat(read(stream, ReadStreamOptions.defaults().afterVersion(1000))).isEmpty();
    }

    @Test
    @DisplayName("ES-09a reads in reverse from the tip")
    void reverseFromEnd() {
        TypeId stream = newStreamId();
        append(stream, 5);
        assertThat(versions(read(stream, ReadStreamOptions.reverse()))).containsExactly(5L, 4L, 3L, 2L, 1L);
    }

    @Test
    @DisplayName("ES-09b reverse after-version is an inclusive upper bound")
    void reverseFromInclusiveAfterVersion() {
        TypeId stream = newStreamId();
        append(stream, 5);
        assertThat(versions(read(stream, ReadStreamOptions.reverse().afterVersion(3)))).containsExactly(3L, 2L, 1L);
        assertThat(versions(read(stream, ReadStreamOptions.reverse().afterVersion(1)))).containsExactly(1L);
        assertThat(versions(read(stream, ReadStreamOptions.reverse().afterVersion(99))))
                .as("a bound past the tip reads from the tip").containsExactly(5L, 4L, 3L, 2L, 1L);
    }

    @Test
    @DisplayName("ES-09c forward after-version is an exclusive lower bound")
    void forwardAfterVersionIsExclusive() {
        TypeId stream = newStreamId();
        append(stream, 5);
        assertThat(versions(read(stream, ReadStreamOptions.defaults().afterVersion(2)))).containsExactly(3L, 4L, 5L);
        assertThat(versions(read(stream, ReadStreamOptions.defaults().afterVersion(4)))).containsExactly(5L);
    }

    @Test
    @DisplayName("ES-10a count bounds a forward read")
    void countForward() {
        TypeId stream = newStreamId();
        append(stream, 5);
        assertThat(versions(read(stream, ReadStreamOptions.defaults().count(2)))).containsExactly(1L, 2L);
        assertThat(versions(read(stream, ReadStreamOptions.defaults().afterVersion(2).count(2))))
                .containsExactly(3L, 4L);
        assertThat(versions(read(stream, ReadStreamOptions.defaults().count(99)))).hasSize(5);
    }

    @Test
    @DisplayName("ES-10b count bounds a reverse read")
    void countReverse() {
        TypeId stream = newStreamId();
        append(stream, 5);
        assertThat(versions(read(stream, ReadStreamOptions.reverse().count(2)))).containsExactly(5L, 4L);
        assertThat(versions(read(stream, ReadStreamOptions.reverse().afterVersion(3).count(2))))
                .containsExactly(3L, 2L);
    }

    @Test
    @DisplayName("ES-10c reads longer than a store's internal batches return every event, in order")
    void longReadsInEveryShape() {
        // Stores fetch in batches (PostgreSQL: 256 rows, then a cursor): reads on both sides of
        // that boundary, bounded and not, forward and reverse.
        TypeId stream = newStreamId();
        int n = 1_100;
        List<Event> written = store.appendStream(stream, events(n), AppendStreamOptions.defaults());
        assertThat(read(stream, ReadStreamOptions.defaults())).containsExactlyElementsOf(written);
        assertThat(versions(read(stream, ReadStreamOptions.reverse()))).isEqualTo(range(n, 1));
        assertThat(versions(read(stream, ReadStreamOptions.defaults().afterVersion(250)))).isEqualTo(range(251, n));
        assertThat(versions(read(stream, ReadStreamOptions.defaults().afterVersion(1_000)))).isEqualTo(range(1_001, n));
        assertThat(versions(read(stream, ReadStreamOptions.defaults().afterVersion(843)))).isEqualTo(range(844, n));
        assertThat(versions(read(stream, ReadStreamOptions.defaults().count(256)))).isEqualTo(range(1, 256));
        assertThat(versions(read(stream, ReadStreamOptions.defaults().count(257)))).isEqualTo(range(1, 257));
        assertThat(versions(read(stream, ReadStreamOptions.defaults().count(300)))).isEqualTo(range(1, 300));
        assertThat(versions(read(stream, ReadStreamOptions.defaults().afterVersion(1_050).count(100))))
                .isEqualTo(range(1_051, n));
        assertThat(versions(read(stream, ReadStreamOptions.reverse().count(300)))).isEqualTo(range(n, 801));
        assertThat(versions(read(stream, ReadStreamOptions.reverse().afterVersion(700).count(500))))
                .isEqualTo(range(700, 201));
    }

    /** The versions from {@code from} to {@code to}, both included, counting up or down. */
    private static List<Long> range(long from, long to) {
        List<Long> versions = new java.util.ArrayList<>();
        for (long v = from; from <= to ? v <= to : v >= to; v += from <= to ? 1 : -1) {
            versions.add(v);
        }
        return versions;
    }

    // ---------------------------------------------------------------- expectations

    @Test
    @DisplayName("ES-11 an exact expected version that matches appends")
    void exactVersionMatchAppends() {
        TypeId stream = newStreamId();
        append(stream, 3);
        List<Event> written = store.appendStream(stream, events(1), AppendStreamOptions.expectingVersion(3));
        assertThat(versions(written)).containsExactly(4L);
        assertThat(readAll(stream)).hasSize(4);
    }

    @Test
    @DisplayName("ES-12 an exact expected version that does not match is refused with stream, expected and actual")
    void exactVersionMismatchRefused() {
        TypeId stream = newStreamId();
        append(stream, 3);
        StreamVersionMismatchException e = catchThrowableOfType(StreamVersionMismatchException.class,
                () -> store.appendStream(stream, events(2), AppendStreamOptions.expectingVersion(2)));
        assertThat(e).isNotNull();
        assertThat(e.streamId()).isEqualTo(stream);
        assertThat(e.expected()).isEqualTo(ExpectedVersion.exact(2));
        assertThat(e.actualVersion()).isEqualTo(3);
        assertThat(e.getMessage()).contains(stream.toString()).contains("2").contains("3");
        assertThat(readAll(stream)).as("nothing written").hasSize(3);

        assertThatThrownBy(() -> store.appendStream(stream, events(1), AppendStreamOptions.expectingVersion(4)))
                .isInstanceOfSatisfying(StreamVersionMismatchException.class,
                        m -> assertThat(m.actualVersion()).isEqualTo(3));
        assertThat(readAll(stream)).hasSize(3);
    }

    @Test
    @DisplayName("ES-12b exact(0) accepts a new stream and refuses an existing one")
    void exactZeroMeansNewOrEmpty() {
        TypeId stream = newStreamId();
        assertThat(versions(store.appendStream(stream, events(1), AppendStreamOptions.expectingVersion(0))))
                .containsExactly(1L);
        assertThatThrownBy(() -> store.appendStream(stream, events(1), AppendStreamOptions.expectingVersion(0)))
                .isInstanceOfSatisfying(StreamVersionMismatchException.class,
                        m -> assertThat(m.actualVersion()).isEqualTo(1));
    }

    @Test
    @DisplayName("ES-12c an exact expectation on a missing stream reports actual version 0 and creates nothing")
    void exactVersionOnMissingStream() {
        TypeId stream = newStreamId();
        assertThatThrownBy(() -> store.appendStream(stream, events(1), AppendStreamOptions.expectingVersion(1)))
                .isInstanceOfSatisfying(StreamVersionMismatchException.class,
                        m -> assertThat(m.actualVersion()).isZero());
        assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()).close())
                .isInstanceOf(StreamNotFoundException.class);
    }

    @Test
    @DisplayName("ES-13 no-stream on a new stream appends")
    void noStreamOnNewStream() {
        TypeId stream = newStreamId();
        store.appendStream(stream, events(2), AppendStreamOptions.expectingNoStream());
        assertThat(readAll(stream)).hasSize(2);
    }

    @Test
    @DisplayName("ES-14 no-stream on an existing stream is refused")
    void noStreamOnExistingStreamRefused() {
        TypeId stream = newStreamId();
        append(stream, 2);
        assertThatThrownBy(() -> store.appendStream(stream, events(1), AppendStreamOptions.expectingNoStream()))
                .isInstanceOfSatisfying(StreamVersionMismatchException.class, m -> {
                    assertThat(m.expected()).isEqualTo(ExpectedVersion.noStream());
                    assertThat(m.actualVersion()).isEqualTo(2);
                    assertThat(m.getMessage()).contains(stream.toString()).contains("no stream");
                });
        assertThat(readAll(stream)).hasSize(2);
    }

    @Test
    @DisplayName("ES-15 stream-exists appends to an existing stream and refuses a missing one without creating it")
    void streamExistsExpectation() {
        TypeId stream = newStreamId();
        assertThatThrownBy(() -> store.appendStream(stream, events(1), AppendStreamOptions.expectingStreamExists()))
                .isInstanceOfSatisfying(StreamVersionMismatchException.class, m -> {
                    assertThat(m.expected()).isEqualTo(ExpectedVersion.streamExists());
                    assertThat(m.actualVersion()).isZero();
                });
        assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()).close())
                .isInstanceOf(StreamNotFoundException.class);
        append(stream, 1);
        assertThat(versions(store.appendStream(stream, events(1), AppendStreamOptions.expectingStreamExists())))
                .containsExactly(2L);
    }

    @Test
    @DisplayName("a refused multi-event append writes none of its events")
    void refusedAppendIsAllOrNothing() {
        TypeId stream = newStreamId();
        append(stream, 1);
        assertThatThrownBy(() -> store.appendStream(stream, events(5), AppendStreamOptions.expectingVersion(0)))
                .isInstanceOf(StreamVersionMismatchException.class);
        assertThat(versions(readAll(stream))).containsExactly(1L);
        assertThat(versions(store.appendStream(stream, events(2), AppendStreamOptions.expectingVersion(1))))
                .as("a retry with the right version continues gaplessly").containsExactly(2L, 3L);
    }

    // ---------------------------------------------------------------- input validation

    @Test
    @DisplayName("an empty event list is refused with IllegalArgumentException and creates nothing")
    void emptyAppendRefused() {
        TypeId stream = newStreamId();
        assertThatThrownBy(() -> store.appendStream(stream, List.of(), AppendStreamOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(stream.toString());
        assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()).close())
                .isInstanceOf(StreamNotFoundException.class);
    }

    @Test
    @DisplayName("reserved estoria. metadata keys are refused before anything is written")
    void reservedMetadataRefused() {
        TypeId stream = newStreamId();
        List<WritableEvent> batch = List.of(
                WritableEvent.of(EVENT_TYPE, payload(0)),
                WritableEvent.of(EVENT_TYPE, payload(1)).withMetadata("estoria.snapshot_version", "3"));
        assertThatThrownBy(() -> store.appendStream(stream, batch, AppendStreamOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("estoria.snapshot_version")
                .hasMessageContaining(stream.toString());
        assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()).close())
                .isInstanceOf(StreamNotFoundException.class);
    }

    @Test
    @DisplayName("text that is not well-formed Unicode (an unpaired surrogate) is refused before anything is written")
    void unpairedSurrogatesRefused() {
        TypeId stream = newStreamId();
        String broken = "bad\uD800";
        List<List<WritableEvent>> batches = List.of(
                List.of(WritableEvent.of(broken, payload(0))),
                List.of(new WritableEvent(EVENT_TYPE, payload(0), broken, Map.of(), Optional.empty())),
                List.of(WritableEvent.of(EVENT_TYPE, payload(0)).withMetadata(broken, "v")),
                List.of(WritableEvent.of(EVENT_TYPE, payload(0)), WritableEvent.of(EVENT_TYPE, payload(1))
                        .withMetadata("k", "\uDC00" + broken)));
        for (List<WritableEvent> batch : batches) {
            assertThatThrownBy(() -> store.appendStream(stream, batch, AppendStreamOptions.defaults()))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(stream.toString())
                    .hasMessageContaining("unpaired surrogate");
        }
        TypeId brokenStream = new TypeId("order\uDBFF", stream.uuid());
        assertThatThrownBy(() -> store.appendStream(brokenStream, events(1), AppendStreamOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("unpaired surrogate");
        assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()).close())
                .as("nothing was written").isInstanceOf(StreamNotFoundException.class);
        assertThatThrownBy(() -> store.readStream(brokenStream, ReadStreamOptions.defaults()).close())
                .as("nothing was written").isInstanceOf(StreamNotFoundException.class);
    }

    @Test
    @DisplayName("reserved metadata is accepted when the options allow it, for Estoria's own components")
    void reservedMetadataAllowedByOption() {
        TypeId stream = newStreamId();
        store.appendStream(stream, List.of(WritableEvent.of(EVENT_TYPE, payload(0))
                .withMetadata("estoria.snapshot_version", "3")),
                AppendStreamOptions.defaults().withReservedMetadataAllowed());
        assertThat(readAll(stream).get(0).metadata()).containsEntry("estoria.snapshot_version", "3");
    }

    @Test
    @DisplayName("null arguments and null events are refused with NullPointerException")
    void nullsRefused() {
        TypeId stream = newStreamId();
        assertThatThrownBy(() -> store.appendStream(null, events(1), AppendStreamOptions.defaults()))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> store.appendStream(stream, null, AppendStreamOptions.defaults()))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> store.appendStream(stream, events(1), null))
                .isInstanceOf(NullPointerException.class);
        List<WritableEvent> withNull = new ArrayList<>(events(1));
        withNull.add(null);
        assertThatThrownBy(() -> store.appendStream(stream, withNull, AppendStreamOptions.defaults()))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> store.readStream(null, ReadStreamOptions.defaults()))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> store.readStream(stream, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()).close())
                .as("nothing was written").isInstanceOf(StreamNotFoundException.class);
    }

    @Test
    @DisplayName("negative option values are refused when the options are built, naming the field")
    void negativeOptionsRefused() {
        assertThatThrownBy(() -> ReadStreamOptions.defaults().afterVersion(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("afterVersion");
        assertThatThrownBy(() -> ReadStreamOptions.defaults().count(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("count");
        assertThatThrownBy(() -> ExpectedVersion.exact(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("expected version");
    }

    // ---------------------------------------------------------------- idempotent appends

    private static List<WritableEvent> withIds(List<WritableEvent> events, List<UUID> ids) {
        List<WritableEvent> list = new ArrayList<>();
        for (int i = 0; i < events.size(); i++) {
            list.add(events.get(i).withEventId(ids.get(i)));
        }
        return list;
    }

    private static List<UUID> freshIds(int n) {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            ids.add(UUID.randomUUID());
        }
        return ids;
    }

    @Nested
    @DisplayName("idempotent appends")
    class Idempotency {

        @Test
        @DisplayName("a caller-chosen event ID becomes the stored event's UUID, typed by the event type")
        void chosenIdIsStored() {
            TypeId stream = newStreamId();
            UUID id = UUID.randomUUID();
            List<Event> written = store.appendStream(stream, withIds(events(1), List.of(id)),
                    AppendStreamOptions.defaults());
            assertThat(written.get(0).id()).isEqualTo(TypeId.of(EVENT_TYPE, id));
            assertThat(readAll(stream).get(0).id()).isEqualTo(TypeId.of(EVENT_TYPE, id));
        }

        @Test
        @DisplayName("a retry of a stored append writes nothing and returns the stored events, whatever the expectation")
        void retryReturnsStoredEvents() {
            TypeId stream = newStreamId();
            List<WritableEvent> batch = withIds(richEvents(3), freshIds(3));
            List<Event> first = store.appendStream(stream, batch, AppendStreamOptions.expectingNoStream());
            append(stream, 1);

            List<Event> retry = store.appendStream(stream, batch, AppendStreamOptions.expectingNoStream());
            assertThat(retry).containsExactlyElementsOf(first);
            List<Event> retryExact = store.appendStream(stream, batch, AppendStreamOptions.expectingVersion(0));
            assertThat(retryExact).containsExactlyElementsOf(first);
            assertThat(versions(readAll(stream))).containsExactly(1L, 2L, 3L, 4L);
        }

        @Test
        @DisplayName("a retry moves nothing: the stream's version stays, and the next append follows the stored events")
        void retryLeavesTheTipAlone() {
            TypeId stream = newStreamId();
            List<WritableEvent> batch = withIds(events(3), freshIds(3));
            store.appendStream(stream, batch, AppendStreamOptions.expectingNoStream());
            store.appendStream(stream, batch, AppendStreamOptions.expectingNoStream());
            List<Event> next = store.appendStream(stream, events(1), AppendStreamOptions.expectingVersion(3));
            assertThat(versions(next)).containsExactly(4L);
            assertThat(versions(readAll(stream))).containsExactly(1L, 2L, 3L, 4L);
        }

        @Test
        @DisplayName("a retry of a consecutive run inside a stored append is recognised too")
        void retryOfConsecutiveRun() {
            TypeId stream = newStreamId();
            List<UUID> ids = freshIds(3);
            List<Event> first = store.appendStream(stream, withIds(events(3), ids), AppendStreamOptions.defaults());
            List<Event> retry = store.appendStream(stream,
                    withIds(events(1, 2), ids.subList(1, 3)), AppendStreamOptions.defaults());
            assertThat(retry).containsExactlyElementsOf(first.subList(1, 3));
            assertThat(readAll(stream)).hasSize(3);
        }

        @Test
        @DisplayName("an ID stored in another stream is refused, naming the ID, and nothing is written")
        void idInAnotherStreamRefused() {
            TypeId other = newStreamId();
            TypeId stream = newStreamId();
            UUID id = UUID.randomUUID();
            store.appendStream(other, withIds(events(1), List.of(id)), AppendStreamOptions.defaults());
            DuplicateEventIdException e = catchThrowableOfType(DuplicateEventIdException.class,
                    () -> store.appendStream(stream, withIds(events(1), List.of(id)), AppendStreamOptions.defaults()));
            assertThat(e).isNotNull();
            assertThat(e.eventId()).isEqualTo(id);
            assertThat(e.streamId()).isEqualTo(stream);
            assertThat(e.getMessage()).contains(id.toString()).contains(stream.toString());
            assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()).close())
                    .isInstanceOf(StreamNotFoundException.class);
            assertThat(readAll(other)).hasSize(1);
        }

        @Test
        @DisplayName("a batch that only partly matches stored events is refused and nothing is written")
        void partialMatchRefused() {
            TypeId stream = newStreamId();
            List<UUID> ids = freshIds(2);
            store.appendStream(stream, withIds(events(2), ids), AppendStreamOptions.defaults());

            List<UUID> mixed = List.of(ids.get(1), UUID.randomUUID());
            assertThatThrownBy(() -> store.appendStream(stream, withIds(events(2), mixed), AppendStreamOptions.defaults()))
                    .isInstanceOfSatisfying(DuplicateEventIdException.class,
                            e -> assertThat(e.eventId()).isEqualTo(ids.get(1)));
            List<WritableEvent> withoutId = List.of(
                    WritableEvent.of(EVENT_TYPE, payload(0)).withEventId(ids.get(0)), WritableEvent.of(EVENT_TYPE, payload(1)));
            assertThatThrownBy(() -> store.appendStream(stream, withoutId, AppendStreamOptions.defaults()))
                    .isInstanceOf(DuplicateEventIdException.class);
            assertThat(readAll(stream)).hasSize(2);
        }

        @Test
        @DisplayName("stored IDs with other content are not a retry and are refused")
        void sameIdsOtherContentRefused() {
            TypeId stream = newStreamId();
            List<UUID> ids = freshIds(2);
            store.appendStream(stream, withIds(richEvents(2), ids), AppendStreamOptions.defaults());
            List<List<WritableEvent>> impostors = List.of(
                    withIds(events(2), ids),                                          // metadata and content type differ
                    withIds(List.of(richEvents(2).get(0), richEvents(2).get(0)), ids), // second payload differs
                    withIds(richEvents(2).stream().map(e -> new WritableEvent("othertype", e.data(), e.contentType(),
                            e.metadata(), java.util.Optional.empty())).toList(), ids));
            for (List<WritableEvent> impostor : impostors) {
                assertThatThrownBy(() -> store.appendStream(stream, impostor, AppendStreamOptions.defaults()))
                        .isInstanceOf(DuplicateEventIdException.class).hasMessageContaining("other content");
            }
            assertThat(readAll(stream)).hasSize(2);
        }

        @Test
        @DisplayName("stored IDs in another order are not a retry and are refused")
        void reorderedRetryRefused() {
            TypeId stream = newStreamId();
            List<UUID> ids = freshIds(2);
            store.appendStream(stream, withIds(events(2), ids), AppendStreamOptions.defaults());
            List<UUID> reversed = new ArrayList<>(ids);
            Collections.reverse(reversed);
            assertThatThrownBy(() -> store.appendStream(stream, withIds(events(2), reversed), AppendStreamOptions.defaults()))
                    .isInstanceOf(DuplicateEventIdException.class);
            assertThat(readAll(stream)).hasSize(2);
        }

        @Test
        @DisplayName("a batch that repeats an ID is refused and nothing is written")
        void repeatedIdInBatchRefused() {
            TypeId stream = newStreamId();
            UUID id = UUID.randomUUID();
            assertThatThrownBy(() -> store.appendStream(stream, withIds(events(2), List.of(id, id)),
                    AppendStreamOptions.defaults()))
                    .isInstanceOfSatisfying(DuplicateEventIdException.class, e -> assertThat(e.eventId()).isEqualTo(id));
            assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()).close())
                    .isInstanceOf(StreamNotFoundException.class);
        }

        @Test
        @Timeout(60)
        @DisplayName("16 threads retrying one append concurrently all get the same stored events, written once")
        void concurrentRetriesWriteOnce() throws Exception {
            TypeId stream = newStreamId();
            List<WritableEvent> batch = withIds(events(3), freshIds(3));
            List<List<Event>> results = runConcurrently(16,
                    thread -> store.appendStream(stream, batch, AppendStreamOptions.defaults()));
            List<Event> stored = readAll(stream);
            assertThat(stored).hasSize(3);
            for (List<Event> result : results) {
                assertThat(result).containsExactlyElementsOf(stored);
            }
        }
    }

    // ---------------------------------------------------------------- iterators

    @Nested
    @DisplayName("stream iterators")
    class Iterators {

        @Test
        @DisplayName("the end is not an exception: hasNext stays false and next throws NoSuchElementException")
        void endIsNotAnException() {
            TypeId stream = newStreamId();
            append(stream, 1);
            try (StreamIterator it = store.readStream(stream, ReadStreamOptions.defaults())) {
                assertThat(it.hasNext()).isTrue();
                it.next();
                assertThat(it.hasNext()).isFalse();
                assertThat(it.hasNext()).isFalse();
                assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
            }
        }

        @Test
        @DisplayName("close is idempotent and reading after close throws StreamIteratorClosedException")
        void readingAfterCloseThrows() {
            TypeId stream = newStreamId();
            append(stream, 3);
            StreamIterator it = store.readStream(stream, ReadStreamOptions.defaults());
            it.next();
            it.close();
            it.close();
            assertThatThrownBy(it::hasNext).isInstanceOf(StreamIteratorClosedException.class);
            assertThatThrownBy(it::next).isInstanceOf(StreamIteratorClosedException.class);

            StreamIterator drained = store.readStream(stream, ReadStreamOptions.defaults());
            drain(drained);
            drained.close();
            assertThatThrownBy(drained::hasNext).isInstanceOf(StreamIteratorClosedException.class);

            StreamIterator empty = store.readStream(stream, ReadStreamOptions.defaults().afterVersion(3));
            empty.close();
            assertThatThrownBy(empty::next).isInstanceOf(StreamIteratorClosedException.class);
        }

        @Test
        @DisplayName("works in a for-each loop and as a java.util.stream.Stream that closes it")
        void forEachAndStream() {
            TypeId stream = newStreamId();
            append(stream, 4);
            List<Long> seen = new ArrayList<>();
            try (StreamIterator it = store.readStream(stream, ReadStreamOptions.defaults())) {
                for (Event e : it) {
                    seen.add(e.streamVersion());
                }
            }
            assertThat(seen).containsExactly(1L, 2L, 3L, 4L);

            StreamIterator it = store.readStream(stream, ReadStreamOptions.reverse());
            try (java.util.stream.Stream<Event> events = it.stream()) {
                assertThat(events.map(Event::streamVersion).toList()).containsExactly(4L, 3L, 2L, 1L);
            }
            assertThatThrownBy(it::hasNext).as("closing the Stream closes the iterator")
                    .isInstanceOf(StreamIteratorClosedException.class);

            assertThat(versions(store.readStream(stream, ReadStreamOptions.defaults()).toList()))
                    .containsExactly(1L, 2L, 3L, 4L);
        }

        @Test
        @DisplayName("a read is finite: events appended after it was opened are not yielded")
        void readIsFinite() {
            TypeId stream = newStreamId();
            append(stream, 3);
            try (StreamIterator forward = store.readStream(stream, ReadStreamOptions.defaults());
                    StreamIterator reverse = store.readStream(stream, ReadStreamOptions.reverse())) {
                assertThat(forward.next().streamVersion()).isEqualTo(1);
                append(stream, 2);
                assertThat(versions(drain(forward))).containsExactly(2L, 3L);
                assertThat(versions(drain(reverse))).containsExactly(3L, 2L, 1L);
                assertThat(forward.hasNext()).isFalse();
            }
            assertThat(readAll(stream)).hasSize(5);
        }

        @Test
        @DisplayName("several iterators over one stream can be open at once")
        void severalOpenIterators() {
            TypeId stream = newStreamId();
            append(stream, 3);
            List<StreamIterator> open = new ArrayList<>();
            try {
                for (int i = 0; i < 5; i++) {
                    open.add(store.readStream(stream, ReadStreamOptions.defaults()));
                }
                for (StreamIterator it : open) {
                    assertThat(versions(drain(it))).containsExactly(1L, 2L, 3L);
                }
            } finally {
                open.forEach(StreamIterator::close);
            }
        }
    }

    // ---------------------------------------------------------------- concurrency

    @Test
    @Timeout(120)
    @DisplayName("16 threads racing exact-version appends on one stream: one winner per version, losers see the true actual version")
    void racingExactVersionAppends() throws Exception {
        TypeId stream = newStreamId();
        int threads = 16;
        int rounds = 25;
        CyclicBarrier barrier = new CyclicBarrier(threads);
        List<List<Object>> outcomes = runConcurrently(threads, thread -> {
            List<Object> mine = new ArrayList<>();
            for (int round = 0; round < rounds; round++) {
                barrier.await(30, TimeUnit.SECONDS);
                WritableEvent event = WritableEvent.of(EVENT_TYPE,
                        ("{\"thread\":" + thread + ",\"round\":" + round + "}").getBytes(StandardCharsets.UTF_8));
                try {
                    mine.add(store.appendStream(stream, List.of(event), AppendStreamOptions.expectingVersion(round)).get(0));
                } catch (StreamVersionMismatchException e) {
                    mine.add(e);
                }
                // Nobody starts the next round before every append of this one has finished.
                barrier.await(30, TimeUnit.SECONDS);
            }
            return mine;
        });
        List<Event> winners = new ArrayList<>();
        for (int round = 0; round < rounds; round++) {
            int wins = 0;
            for (List<Object> mine : outcomes) {
                Object outcome = mine.get(round);
                if (outcome instanceof Event e) {
                    wins++;
                    winners.add(e);
                    assertThat(e.streamVersion()).isEqualTo(round + 1);
                } else {
                    StreamVersionMismatchException m = (StreamVersionMismatchException) outcome;
                    assertThat(m.expected()).isEqualTo(ExpectedVersion.exact(round));
                    assertThat(m.actualVersion()).as("actual version seen by a loser of round %d", round)
                            .isEqualTo(round + 1);
                }
            }
            assertThat(wins).as("winners of round %d", round).isEqualTo(1);
        }
        assertThat(readAll(stream)).containsExactlyElementsOf(winners);
    }

    @Test
    @Timeout(120)
    @DisplayName("concurrent appends to many streams all land, gapless per stream")
    void concurrentAppendsToManyStreams() throws Exception {
        int threads = 16;
        int appendsPerThread = 20;
        List<TypeId> streams = List.of(newStreamId(), newStreamId(), newStreamId(), newStreamId());
        List<List<Event>> written = runConcurrently(threads, thread -> {
            List<Event> mine = new ArrayList<>();
            for (int i = 0; i < appendsPerThread; i++) {
                TypeId stream = streams.get((thread + i) % streams.size());
                mine.addAll(store.appendStream(stream, events(2), AppendStreamOptions.defaults()));
            }
            return mine;
        });
        long total = 0;
        for (TypeId stream : streams) {
            List<Event> read = readAll(stream);
            total += read.size();
            for (int i = 0; i < read.size(); i++) {
                assertThat(read.get(i).streamVersion()).isEqualTo(i + 1);
            }
        }
        assertThat(total).isEqualTo((long) threads * appendsPerThread * 2);
        for (List<Event> mine : written) {
            for (Event e : mine) {
                assertThat(readAll(e.streamId())).contains(e);
            }
        }
    }


    @Test
    @DisplayName("ES-16 a batch whose later event carries an ID stored in another stream writes none of its events")
    void foreignIdLateInBatchWritesNothing() {
        TypeId other = newStreamId();
        TypeId fresh = newStreamId();
        TypeId existing = newStreamId();
        UUID foreign = UUID.randomUUID();
        store.appendStream(other, List.of(WritableEvent.of(EVENT_TYPE, payload(0)).withEventId(foreign)),
                AppendStreamOptions.defaults());
        append(existing, 1);
        List<WritableEvent> batch = List.of(
                WritableEvent.of(EVENT_TYPE, payload(0)).withEventId(UUID.randomUUID()),
                WritableEvent.of(EVENT_TYPE, payload(1)),
                WritableEvent.of(EVENT_TYPE, payload(2)).withEventId(foreign));
        for (TypeId stream : List.of(fresh, existing)) {
            assertThatThrownBy(() -> store.appendStream(stream, batch, AppendStreamOptions.defaults()))
                    .isInstanceOfSatisfying(DuplicateEventIdException.class,
                            e -> assertThat(e.eventId()).isEqualTo(foreign));
        }
        assertThatThrownBy(() -> store.readStream(fresh, ReadStreamOptions.defaults()).close())
                .as("nothing written to the new stream").isInstanceOf(StreamNotFoundException.class);
        assertThat(versions(readAll(existing))).as("nothing written to the existing stream").containsExactly(1L);
        assertThat(readAll(other)).hasSize(1);
    }

    @Test
    @DisplayName("ES-17 timestamps are the time of the append (UTC instants, within minutes of the caller's clock)")
    void timestampsAreTheAppendTime() {
        TypeId stream = newStreamId();
        Instant before = Instant.now();
        List<Event> written = append(stream, 2);
        Instant after = Instant.now();
        Duration slack = Duration.ofMinutes(5); // clock skew to a database server
        for (Event e : readAll(stream)) {
            assertThat(e.timestamp()).isBetween(before.minus(slack), after.plus(slack));
        }
        assertThat(written).hasSize(2);
    }

    @Test
    @Timeout(120)
    @DisplayName("ES-18 16 threads creating one stream with no-stream: exactly one wins, the others see its version")
    void racingNoStreamCreations() throws Exception {
        int threads = 16;
        for (int round = 0; round < 5; round++) {
            TypeId stream = newStreamId();
            List<Object> outcomes = runConcurrently(threads, thread -> {
                try {
                    return store.appendStream(stream, events(2), AppendStreamOptions.expectingNoStream());
                } catch (StreamVersionMismatchException e) {
                    return e;
                }
            });
            List<Object> wins = outcomes.stream().filter(o -> o instanceof List).toList();
            assertThat(wins).as("winners of round %d", round).hasSize(1);
            for (Object o : outcomes) {
                if (o instanceof StreamVersionMismatchException m) {
                    assertThat(m.actualVersion()).isEqualTo(2);
                }
            }
            @SuppressWarnings("unchecked")
            List<Event> winner = (List<Event>) wins.get(0);
            assertThat(readAll(stream)).containsExactlyElementsOf(winner);
        }
    }
}
