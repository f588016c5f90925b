package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.AbstractList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The store's limits (events per transaction, bytes per event) are enforced before anything is written. */
class LimitsTest {

    private static final int LIMIT = 1_000;

    /** The bytes an event counts against the limit: payload, encoded metadata, event type, content type. */
    private static long size(WritableEvent e) {
        return (long) e.data().length + MetadataCodec.encode(e.metadata()).length
                + e.type().getBytes(StandardCharsets.UTF_8).length + e.contentType().getBytes(StandardCharsets.UTF_8).length;
    }

    /** An event of exactly {@code bytes} bytes, counted as the store counts them. */
    private static WritableEvent eventOf(long bytes, Map<String, String> metadata) {
        WritableEvent empty = WritableEvent.of("sized", new byte[0]).withContentType("application/x-ü").withMetadata(metadata);
        return WritableEvent.of("sized", new byte[(int) (bytes - size(empty))]).withContentType("application/x-ü")
                .withMetadata(metadata);
    }

    @Test
    void theDefaultLimitIsTheLargestEventAReadCanReturn() {
        assertThat(PostgresOptions.defaults().maxEventBytes()).isEqualTo(PostgresEventStore.MAX_EVENT_BYTES)
                .isEqualTo(500_000_000);
        assertThat(PostgresOptions.defaults().withMaxEventBytes(LIMIT).maxEventBytes()).isEqualTo(LIMIT);
        assertThatThrownBy(() -> PostgresOptions.defaults().withMaxEventBytes(PostgresEventStore.MAX_EVENT_BYTES + 1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxEventBytes")
                .hasMessageContaining("500000000");
        assertThatThrownBy(() -> PostgresOptions.defaults().withMaxEventBytes(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxEventBytes");
    }

    @Test
    void anEventOverTheLimitIsRefusedAndNothingOfItsAppendIsWritten() {
        TestDatabase db = TestDatabase.get();
        PostgresEventStore store = db.newStore(PostgresOptions.defaults().withMaxEventBytes(LIMIT));
        try {
            TypeId stream = TypeId.newV4("sized");
            WritableEvent small = eventOf(100, Map.of());
            WritableEvent payloadTooLarge = eventOf(LIMIT + 1, Map.of());
            assertThatThrownBy(() -> store.appendStream(stream, List.of(small, payloadTooLarge)))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining(stream.toString())
                    .hasMessageContaining("event 1 is " + (LIMIT + 1) + " bytes")
                    .hasMessageContaining("at most " + LIMIT);
            // Metadata counts too.
            WritableEvent metadataTooLarge = eventOf(LIMIT + 1, Map.of("note", "x".repeat(600)));
            assertThat(metadataTooLarge.data().length).isLessThan(LIMIT / 2);
            assertThatThrownBy(() -> store.appendStream(stream, List.of(metadataTooLarge)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("event 0 is " + (LIMIT + 1));
            assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()))
                    .isInstanceOf(StreamNotFoundException.class);

            WritableEvent atTheLimit = eventOf(LIMIT, Map.of("note", "x".repeat(100)));
            store.appendStream(stream, List.of(small, atTheLimit));
            try (StreamIterator read = store.readStream(stream, ReadStreamOptions.defaults())) {
                assertThat(read.next().data()).isEqualTo(small.data());
                assertThat(read.next().data()).isEqualTo(atTheLimit.data());
                assertThat(read.hasNext()).isFalse();
            }
        } finally {
            db.discard(store);
        }
    }

    @Test
    void aSnapshotOverTheLimitIsRefused() {
        TestDatabase db = TestDatabase.get();
        PostgresEventStore store = db.newStore(PostgresOptions.defaults().withMaxEventBytes(LIMIT));
        try {
            PostgresSnapshotStore snapshots = PostgresSnapshotStore.of(store);
            TypeId id = TypeId.newV4("sized");
            String contentType = "application/json";
            byte[] tooLarge = new byte[LIMIT + 1 - contentType.length()];
            assertThatThrownBy(() -> snapshots.write(new Snapshot(id, 1, Instant.now(), tooLarge, contentType)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(id.toString())
                    .hasMessageContaining((LIMIT + 1) + " bytes").hasMessageContaining("at most " + LIMIT);
            assertThat(snapshots.read(id, 0)).isEmpty();
            byte[] atTheLimit = new byte[LIMIT - contentType.length()];
            snapshots.write(new Snapshot(id, 1, Instant.now(), atTheLimit, contentType));
            assertThat(snapshots.read(id, 0)).hasValueSatisfying(s -> assertThat(s.data()).isEqualTo(atTheLimit));
        } finally {
            db.discard(store);
        }
    }

    @Test
    void appendLargerThanThePositionIndexIsRefused() {
        WritableEvent event = WritableEvent.of("e", new byte[0]);
        List<WritableEvent> tooMany = new AbstractList<>() {
            @Override
            public WritableEvent get(int index) {
                return event;
            }

            @Override
            public int size() {
                return Schema.MAX_EVENTS_PER_TRANSACTION + 1;
            }
        };
        assertThat(Schema.MAX_EVENTS_PER_TRANSACTION).isEqualTo(1_048_576);
        TestDatabase db = TestDatabase.get();
        PostgresEventStore store = db.newStore();
        try {
            TypeId stream = TypeId.newV4("big");
            assertThatThrownBy(() -> store.appendStream(stream, tooMany))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1048576");
            assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()))
                    .isInstanceOf(StreamNotFoundException.class);
        } finally {
            db.discard(store);
        }
    }
}
