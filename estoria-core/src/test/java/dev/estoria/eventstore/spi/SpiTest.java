package dev.estoria.eventstore.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DuplicateEventIdException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamIteratorClosedException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.OptionalLong;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class SpiTest {

    private static final TypeId STREAM = TypeId.newV4("s");
    private static final TypeId OTHER = TypeId.newV4("s");

    private static WritableEvent withId(UUID id) {
        return WritableEvent.of("t", new byte[0]).withEventId(id);
    }

    @Test
    void theEventSizeCountsPayloadMetadataAndTypesInUtf8() {
        // One, two, three and four UTF-8 bytes: "a", "ü", "€", "🌍".
        WritableEvent event = WritableEvent.of("aü€🌍", new byte[10]).withContentType("text/€");
        long size = 10 + 7 + (1 + 2 + 3 + 4) + (5 + 3);
        assertThat(size).isEqualTo(10 + 7 + event.type().getBytes(java.nio.charset.StandardCharsets.UTF_8).length
                + event.contentType().getBytes(java.nio.charset.StandardCharsets.UTF_8).length);
        AppendValidation.requireEventSize(STREAM, 2, event, 7, size);
        assertThatThrownBy(() -> AppendValidation.requireEventSize(STREAM, 2, event, 7, size - 1))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("append to " + STREAM + ": event 2 is " + size + " bytes (payload, metadata, types);"
                        + " this store holds at most " + (size - 1) + " bytes per event");
    }

    @Test
    void validationReturnsAnImmutableSnapshotOfTheBatch() {
        List<WritableEvent> events = new ArrayList<>(List.of(WritableEvent.of("t", new byte[0])));
        List<WritableEvent> batch = AppendValidation.validate(STREAM, events, AppendStreamOptions.defaults());
        events.add(WritableEvent.of("t", new byte[0]));
        assertThat(batch).hasSize(1);
        assertThatThrownBy(() -> batch.add(null)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void validationRefusesEmptyReservedAndRepeated() {
        assertThatThrownBy(() -> AppendValidation.validate(STREAM, List.of(), AppendStreamOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(STREAM.toString());
        List<WritableEvent> reserved = List.of(WritableEvent.of("t", new byte[0]).withMetadata("estoria.k", "v"));
        assertThatThrownBy(() -> AppendValidation.validate(STREAM, reserved, AppendStreamOptions.defaults()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("estoria.k");
        assertThat(AppendValidation.validate(STREAM, reserved, AppendStreamOptions.defaults().withReservedMetadataAllowed()))
                .hasSize(1);
        UUID id = UUID.randomUUID();
        assertThatThrownBy(() -> AppendValidation.validate(STREAM, List.of(withId(id), withId(id)),
                AppendStreamOptions.defaults()))
                .isInstanceOf(DuplicateEventIdException.class).hasMessageContaining(id.toString());
    }

    @Test
    void classifyNewRetryAndConflicts() {
        UUID a = UUID.randomUUID();
        UUID b = UUID.randomUUID();
        UUID c = UUID.randomUUID();
        Map<UUID, EventLocation> stored = new HashMap<>();
        stored.put(a, new EventLocation(STREAM, 4));
        stored.put(b, new EventLocation(STREAM, 5));
        stored.put(c, new EventLocation(OTHER, 1));

        assertThat(IdempotentAppends.classify(STREAM, List.of(withId(UUID.randomUUID())), stored::get)).isEmpty();
        assertThat(IdempotentAppends.classify(STREAM, List.of(WritableEvent.of("t", new byte[0])), stored::get)).isEmpty();
        assertThat(IdempotentAppends.classify(STREAM, List.of(withId(a), withId(b)), stored::get)).hasValue(4);
        assertThat(IdempotentAppends.classify(STREAM, List.of(withId(b)), stored::get)).hasValue(5);
        assertThatThrownBy(() -> IdempotentAppends.classify(STREAM, List.of(withId(b), withId(a)), stored::get))
                .isInstanceOf(DuplicateEventIdException.class);
        assertThatThrownBy(() -> IdempotentAppends.classify(STREAM, List.of(withId(a), withId(UUID.randomUUID())), stored::get))
                .isInstanceOf(DuplicateEventIdException.class).hasMessageContaining("rest of the batch");
        assertThatThrownBy(() -> IdempotentAppends.classify(STREAM,
                List.of(withId(a), WritableEvent.of("t", new byte[0])), stored::get))
                .isInstanceOf(DuplicateEventIdException.class);
        assertThatThrownBy(() -> IdempotentAppends.classify(STREAM, List.of(withId(c)), stored::get))
                .isInstanceOfSatisfying(DuplicateEventIdException.class, e -> {
                    assertThat(e.eventId()).isEqualTo(c);
                    assertThat(e.getMessage()).contains(OTHER.toString());
                });
    }

    private static final class CountingIterator extends AbstractStreamIterator {
        final Iterator<Event> source;
        int releases;

        CountingIterator(List<Event> events) {
            this.source = events.iterator();
        }

        @Override
        protected Event fetchNext() {
            return source.hasNext() ? source.next() : null;
        }

        @Override
        protected void release() {
            releases++;
        }
    }

    private static Event event(long version) {
        return new Event(TypeId.newV4("t"), STREAM, version, OptionalLong.empty(), Instant.EPOCH, new byte[0], "", Map.of());
    }

    @Test
    void abstractIteratorReleasesOnceAtTheEndAndAtClose() {
        CountingIterator it = new CountingIterator(List.of(event(1), event(2)));
        assertThat(it.hasNext()).isTrue();
        assertThat(it.hasNext()).isTrue();
        assertThat(it.next().streamVersion()).isEqualTo(1);
        assertThat(it.next().streamVersion()).isEqualTo(2);
        assertThat(it.releases).isZero();
        assertThat(it.hasNext()).isFalse();
        assertThat(it.releases).as("released as soon as the end is seen").isEqualTo(1);
        assertThatThrownBy(it::next).isInstanceOf(NoSuchElementException.class);
        it.close();
        it.close();
        assertThat(it.releases).isEqualTo(1);
        assertThatThrownBy(it::hasNext).isInstanceOf(StreamIteratorClosedException.class);
    }

    @Test
    void abstractIteratorReleasesWhenFetchingFails() {
        AbstractStreamIterator failing = new AbstractStreamIterator() {
            int releases;

            @Override
            protected Event fetchNext() {
                throw new IllegalStateException("boom");
            }

            @Override
            protected void release() {
                if (++releases > 1) {
                    throw new AssertionError("released twice");
                }
            }
        };
        assertThatThrownBy(failing::hasNext).hasMessage("boom");
        assertThat(failing.hasNext()).isFalse();
        failing.close();
    }

    @Test
    void anIteratorClosedForAReasonGivesItWhenReadAndReleasesOnce() {
        CountingIterator it = new CountingIterator(List.of(event(1), event(2)));
        it.next();
        it.closeBecause("the store was closed");
        assertThatThrownBy(it::hasNext).isInstanceOf(StreamIteratorClosedException.class)
                .hasMessage("stream iterator closed: the store was closed");
        it.close();
        it.closeBecause("later");
        assertThat(it.releases).isEqualTo(1);
        assertThatThrownBy(it::next).hasMessage("stream iterator closed: the store was closed");

        CountingIterator closedFirst = new CountingIterator(List.of(event(1)));
        closedFirst.close();
        closedFirst.closeBecause("the store was closed");
        assertThatThrownBy(closedFirst::hasNext).as("the reader's own close stands")
                .hasMessage("stream iterator closed");
    }

    @Test
    void aNullListOfAppendsIsNamedAsNullNotAsHoldingNull() {
        assertThatThrownBy(() -> AppendValidation.validateAll(null)).isInstanceOf(NullPointerException.class)
                .hasMessage("appends");
        List<dev.estoria.eventstore.StreamAppend> withNull = new java.util.ArrayList<>();
        withNull.add(null);
        assertThatThrownBy(() -> AppendValidation.validateAll(withNull)).isInstanceOf(NullPointerException.class)
                .hasMessage("appends must not contain null");
    }
}
