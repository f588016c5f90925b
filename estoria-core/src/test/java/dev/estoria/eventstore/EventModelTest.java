package dev.estoria.eventstore;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.typeid.TypeId;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.Set;
import java.util.UUID;
import org.junit.jupiter.api.Test;

class EventModelTest {

    private static final TypeId STREAM = TypeId.newV4("account");

    private static Event event(byte[] data, Map<String, String> metadata) {
        return new Event(TypeId.newV4("deposited"), STREAM, 1, OptionalLong.of(7), Instant.parse("2026-01-02T03:04:05Z"),
                data, "application/json", metadata);
    }

    @Test
    void eventCopiesPayloadAndMetadataInAndOut() {
        byte[] data = "{}".getBytes(StandardCharsets.UTF_8);
        Map<String, String> metadata = new HashMap<>(Map.of("k", "v"));
        Event e = event(data, metadata);
        data[0] = 'X';
        metadata.put("k2", "v2");
        assertThat(e.data()).isEqualTo("{}".getBytes(StandardCharsets.UTF_8));
        assertThat(e.metadata()).containsExactly(Map.entry("k", "v"));
        e.data()[0] = 'Y';
        assertThat(e.data()[0]).isEqualTo((byte) '{');
        assertThatThrownBy(() -> e.metadata().put("a", "b")).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> e.dataBuffer().put((byte) 1)).isInstanceOf(java.nio.ReadOnlyBufferException.class);
        assertThat(e.dataLength()).isEqualTo(2);
        assertThat(e.type()).isEqualTo("deposited");
    }

    private static Event in(String streamType, String eventType) {
        return new Event(TypeId.newV4(eventType), TypeId.newV4(streamType), 1, OptionalLong.of(1),
                Instant.parse("2026-01-02T03:04:05Z"), new byte[0], "", Map.of());
    }

    @Test
    void eventFiltersKeepEveryInternalStreamOutUnlessItIsNamed() {
        Event snapshot = in("estoria.snapshot.account", "snapshot");
        Event activation = in("estoria.projection", "versionactivated");
        Event deposit = in("account", "deposited");
        assertThat(EventFilter.applicationStreams().test(snapshot)).isFalse();
        assertThat(EventFilter.applicationStreams().test(activation)).isFalse();
        assertThat(EventFilter.applicationStreams().test(deposit)).isTrue();
        assertThat(EventFilter.eventTypes("snapshot", "deposited").test(snapshot))
                .as("an event-type filter does not open internal streams").isFalse();
        assertThat(EventFilter.eventTypes("versionactivated").test(activation)).isFalse();
        assertThat(EventFilter.eventTypes("snapshot", "deposited").test(deposit)).isTrue();
        assertThat(EventFilter.streamTypes("estoria.projection").test(activation)).as("named, so let in").isTrue();
        assertThat(EventFilter.all().test(snapshot)).isTrue();
    }

    @Test
    void eventEqualityComparesPayloadBytes() {
        Event a = event("{}".getBytes(StandardCharsets.UTF_8), Map.of());
        Event b = new Event(a.id(), a.streamId(), 1, OptionalLong.of(7), a.timestamp(),
                "{}".getBytes(StandardCharsets.UTF_8), "application/json", Map.of());
        assertThat(a).isEqualTo(b).hasSameHashCodeAs(b);
        assertThat(a).isNotEqualTo(a.withGlobalPosition(8));
        assertThat(a.withGlobalPosition(8).globalPosition()).hasValue(8);
    }

    @Test
    void eventRefusesImpossibleValues() {
        TypeId id = TypeId.newV4("t");
        Instant now = Instant.now();
        assertThatThrownBy(() -> new Event(id, STREAM, 0, OptionalLong.empty(), now, new byte[0], "", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("streamVersion");
        assertThatThrownBy(() -> new Event(id, STREAM, 1, OptionalLong.of(0), now, new byte[0], "", Map.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("globalPosition");
        assertThatThrownBy(() -> new Event(id, STREAM, 1, OptionalLong.empty(), now, null, "", Map.of()))
                .isInstanceOf(NullPointerException.class);
    }

    @Test
    void writableEventIsImmutable() {
        byte[] data = {1, 2, 3};
        Map<String, String> metadata = new HashMap<>(Map.of("k", "v"));
        WritableEvent w = new WritableEvent("t", data, "", metadata, Optional.empty());
        data[0] = 9;
        metadata.clear();
        assertThat(w.data()).containsExactly(1, 2, 3);
        assertThat(w.metadata()).containsEntry("k", "v");
        w.data()[0] = 9;
        assertThat(w.data()).containsExactly(1, 2, 3);
    }

    @Test
    void writableEventFactoriesAndWithers() {
        UUID id = UUID.randomUUID();
        WritableEvent w = WritableEvent.json("balancechanged", "{\"amount\": 100}")
                .withMetadata("correlation_id", "abc")
                .withEventId(id);
        assertThat(w.contentType()).isEqualTo("application/json");
        assertThat(new String(w.data(), StandardCharsets.UTF_8)).isEqualTo("{\"amount\": 100}");
        assertThat(w.metadata()).containsExactly(Map.entry("correlation_id", "abc"));
        assertThat(w.eventId()).contains(id);
        assertThat(WritableEvent.of("t", new byte[0]).contentType()).isEmpty();
        assertThat(w.withContentType("text/plain").contentType()).isEqualTo("text/plain");
        assertThat(w).isEqualTo(WritableEvent.json("balancechanged", "{\"amount\": 100}")
                .withMetadata(Map.of("correlation_id", "abc")).withEventId(id));
    }

    @Test
    void writableEventRefusesBadInput() {
        assertThatThrownBy(() -> WritableEvent.of("", new byte[0]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("event type");
        assertThatThrownBy(() -> WritableEvent.of("_bad", new byte[0]))
                .isInstanceOf(IllegalArgumentException.class);
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("k", null);
        assertThatThrownBy(() -> WritableEvent.of("t", new byte[0]).withMetadata(nullValue))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("\"k\"");
        assertThat(WritableEvent.of("t", new byte[0]).withMetadata("estoria.x", "1").hasReservedMetadata()).isTrue();
        assertThat(WritableEvent.of("t", new byte[0]).withMetadata("estoriax", "1").hasReservedMetadata()).isFalse();
    }

    @Test
    void optionsRefuseNegativeNumbersNamingTheField() {
        assertThatThrownBy(() -> new ReadStreamOptions(-1, 0, Direction.FORWARD)).hasMessageContaining("afterVersion");
        assertThatThrownBy(() -> new ReadStreamOptions(0, -1, Direction.FORWARD)).hasMessageContaining("count");
        assertThatThrownBy(() -> new ReadAllOptions(-1, 0)).hasMessageContaining("afterPosition");
        assertThatThrownBy(() -> new ReadAllOptions(0, -1)).hasMessageContaining("count");
        assertThatThrownBy(() -> new DeleteStreamOptions(-1)).hasMessageContaining("toVersion");
        assertThatThrownBy(() -> ExpectedVersion.exact(-3)).hasMessageContaining("expected version")
                .hasMessageContaining("-3");
    }

    @Test
    void optionWithersAndDefaults() {
        ReadStreamOptions o = ReadStreamOptions.reverse().afterVersion(3).count(2);
        assertThat(o).isEqualTo(new ReadStreamOptions(3, 2, Direction.REVERSE));
        assertThat(ReadStreamOptions.defaults()).isEqualTo(new ReadStreamOptions(0, 0, Direction.FORWARD));
        assertThat(ReadAllOptions.after(5).count(3)).isEqualTo(new ReadAllOptions(5, 3));
        assertThat(DeleteStreamOptions.wholeStream().isTruncation()).isFalse();
        assertThat(DeleteStreamOptions.truncateTo(2).isTruncation()).isTrue();
        assertThat(AppendStreamOptions.defaults().expectedVersion()).isEqualTo(ExpectedVersion.any());
        assertThat(AppendStreamOptions.defaults().allowReservedMetadata()).isFalse();
        assertThat(AppendStreamOptions.expectingVersion(2).withReservedMetadataAllowed())
                .isEqualTo(new AppendStreamOptions(ExpectedVersion.exact(2), true));
    }

    @Test
    void expectedVersionSemantics() {
        assertThat(ExpectedVersion.any().isSatisfiedBy(0)).isTrue();
        assertThat(ExpectedVersion.any().isSatisfiedBy(9)).isTrue();
        assertThat(ExpectedVersion.noStream().isSatisfiedBy(0)).isTrue();
        assertThat(ExpectedVersion.noStream().isSatisfiedBy(1)).isFalse();
        assertThat(ExpectedVersion.streamExists().isSatisfiedBy(0)).isFalse();
        assertThat(ExpectedVersion.streamExists().isSatisfiedBy(1)).isTrue();
        assertThat(ExpectedVersion.exact(0).isSatisfiedBy(0)).isTrue();
        assertThat(ExpectedVersion.exact(3).isSatisfiedBy(3)).isTrue();
        assertThat(ExpectedVersion.exact(3).isSatisfiedBy(4)).isFalse();
        assertThat(ExpectedVersion.exact(3)).isEqualTo(ExpectedVersion.exact(3));
    }

    @Test
    void exceptionMessagesNameTheStreamAndVersions() {
        StreamVersionMismatchException m = new StreamVersionMismatchException(STREAM, ExpectedVersion.exact(2), 5);
        assertThat(m.getMessage()).isEqualTo(
                "stream version mismatch on " + STREAM + ": expected version 2, actual version 5");
        assertThat(m.expected()).isEqualTo(ExpectedVersion.exact(2));
        assertThat(m.actualVersion()).isEqualTo(5);
        assertThat(new StreamVersionMismatchException(STREAM, ExpectedVersion.streamExists(), 0).getMessage())
                .isEqualTo("stream version mismatch on " + STREAM
                        + ": expected an existing stream, the stream does not exist (version 0)");
        assertThat(new StreamVersionMismatchException(STREAM, ExpectedVersion.noStream(), 1).getMessage())
                .contains("expected no stream, actual version 1");
        assertThat(new StreamNotFoundException(STREAM).getMessage()).isEqualTo("stream not found: " + STREAM);
        assertThat(new StreamIteratorClosedException().getMessage()).isEqualTo("stream iterator closed");
        UUID id = UUID.randomUUID();
        assertThat(new DuplicateEventIdException(STREAM, id, "why").getMessage())
                .isEqualTo("duplicate event ID " + id + " in append to " + STREAM + ": why");
        assertThat(new EventStoreException("x", new RuntimeException("y")).getCause()).hasMessage("y");
        assertThat(m).isInstanceOf(dev.estoria.EstoriaException.class);
    }

    @SuppressWarnings("unchecked")
    private static <T> T serializeAndBack(T value) throws IOException, ClassNotFoundException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ObjectOutputStream out = new ObjectOutputStream(bytes)) {
            out.writeObject(value);
        }
        try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(bytes.toByteArray()))) {
            return (T) in.readObject();
        }
    }

    @Test
    void storeExceptionsSurviveJavaSerializationWithTheirFields() throws Exception {
        // Exceptions are Serializable by inheritance (RMI, remote test runners, distributed caches
        // serialize them); their TypeId and ExpectedVersion fields must be too.
        StreamVersionMismatchException m = serializeAndBack(
                new StreamVersionMismatchException(STREAM, ExpectedVersion.exact(2), 5));
        assertThat(m.streamId()).isEqualTo(STREAM);
        assertThat(m.expected()).isEqualTo(ExpectedVersion.exact(2));
        assertThat(m.actualVersion()).isEqualTo(5);
        assertThat(serializeAndBack(new StreamVersionMismatchException(STREAM, ExpectedVersion.noStream(), 1)).expected())
                .isSameAs(ExpectedVersion.noStream());
        assertThat(serializeAndBack(new StreamNotFoundException(STREAM)).streamId()).isEqualTo(STREAM);
        UUID id = UUID.randomUUID();
        DuplicateEventIdException d = serializeAndBack(new DuplicateEventIdException(STREAM, id, "why"));
        assertThat(d.streamId()).isEqualTo(STREAM);
        assertThat(d.eventId()).isEqualTo(id);
        assertThat(serializeAndBack(new dev.estoria.aggregate.AggregateNotFoundException(STREAM)).aggregateId())
                .isEqualTo(STREAM);
        assertThat(serializeAndBack(TypeId.of("user_account", new UUID(0, 0))))
                .isEqualTo(TypeId.of("user_account", new UUID(0, 0)));
    }

    @Test
    void eventFilterFactoriesTakeRepeatedTypesAndNameNulls() {
        // Set.of refuses duplicates; a filter built from a list of types with a repeat is still
        // a well-defined filter.
        assertThat(EventFilter.streamTypes("account", "account").streamTypes()).containsExactly("account");
        assertThat(EventFilter.eventTypes("deposited", "withdrawn", "deposited").eventTypes())
                .containsExactly("deposited", "withdrawn");
        assertThat(EventFilter.streamTypes("account", "account"))
                .isEqualTo(new EventFilter(Set.of("account"), Set.of(), false));
        assertThatThrownBy(() -> EventFilter.streamTypes("account", null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("streamTypes");
        assertThatThrownBy(() -> new EventFilter(Set.of(), new HashSet<>(Arrays.asList("a", null)), true))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("eventTypes");
        // The copies are sorted, as the record promises for stable output, whatever the JVM's
        // Set.of iteration salt.
        List<String> types = List.of("k", "c", "a", "j", "e", "b", "i", "d", "h", "f", "g");
        EventFilter filter = new EventFilter(new HashSet<>(types), Set.copyOf(types), false);
        List<String> sorted = types.stream().sorted().toList();
        assertThat(filter.streamTypes()).containsExactlyElementsOf(sorted);
        assertThat(filter.eventTypes()).containsExactlyElementsOf(sorted);
        assertThatThrownBy(() -> filter.streamTypes().add("z")).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void nullArgumentsAreReportedByName() {
        WritableEvent w = WritableEvent.of("deposited", new byte[0]);
        assertThatThrownBy(() -> w.withEventId(null)).isInstanceOf(NullPointerException.class).hasMessage("id");
        assertThatThrownBy(() -> WritableEvent.json("deposited", null))
                .isInstanceOf(NullPointerException.class).hasMessage("json");
        Map<String, String> nullValue = new HashMap<>();
        nullValue.put("k", null);
        assertThatThrownBy(() -> event(new byte[0], nullValue))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("metadata value for key \"k\"");
        Map<String, String> nullKey = new HashMap<>();
        nullKey.put(null, "v");
        assertThatThrownBy(() -> event(new byte[0], nullKey))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("metadata key");
        assertThatThrownBy(() -> new dev.estoria.aggregate.RawEvent("t", new byte[0], "", null))
                .isInstanceOf(NullPointerException.class).hasMessage("metadata");
        assertThatThrownBy(() -> new dev.estoria.aggregate.PendingEvent<>(UUID.randomUUID(), "e", null, 1, "s"))
                .isInstanceOf(NullPointerException.class).hasMessage("metadata");
    }
}
