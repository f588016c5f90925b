package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DuplicateEventIdException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What is stored comes back verbatim, also after reopening the file, at the documented precision. */
class SqliteStorageTest {

    @TempDir
    Path directory;

    @Test
    @DisplayName("payload bytes, content types, metadata, IDs and timestamps come back exactly, also after reopening")
    void verbatim() {
        Path file = directory.resolve("events.db");
        Random random = new Random(11);
        List<WritableEvent> batch = new ArrayList<>();
        byte[] allBytes = new byte[256];
        for (int i = 0; i < 256; i++) {
            allBytes[i] = (byte) i;
        }
        byte[] large = new byte[3 * 1024 * 1024];
        random.nextBytes(large);
        batch.add(WritableEvent.of("binary", allBytes).withContentType("application/octet-stream"));
        batch.add(WritableEvent.of("empty", new byte[0]));
        batch.add(WritableEvent.of("large", large).withContentType("application/x-large; charset=binary"));
        batch.add(WritableEvent.json("unicode.\u00e9v\u00e9nement \uD83D\uDE00", "{\"text\":\"\u4e2d\u6587\"}")
                .withContentType("text/plain; charset=\"utf-8\" \u00e9")
                .withMetadata(Map.of("", "", "nul\0", "a\0b", "line\nbreak", "tab\t", "\uD83D\uDE00", "\u00e9")));
        batch.add(WritableEvent.of("nul\0type", new byte[] {0}).withContentType("with\0nul"));
        UUID chosen = UUID.fromString("0190b3c4-7d2e-7a1b-9c3d-4e5f6a7b8c9d");
        batch.add(WritableEvent.of("chosen", new byte[] {1, 2, 3}).withEventId(chosen));
        TypeId stream = TypeId.newV4("stream.\u00e9 type");
        List<Event> written;
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            written = store.appendStream(stream, batch);
            assertThat(SqliteFileTest.read(store, stream)).containsExactlyElementsOf(written);
        }
        for (int i = 0; i < batch.size(); i++) {
            WritableEvent in = batch.get(i);
            Event out = written.get(i);
            assertThat(out.type()).isEqualTo(in.type());
            assertThat(out.data()).isEqualTo(in.data());
            assertThat(out.contentType()).isEqualTo(in.contentType());
            assertThat(out.metadata()).isEqualTo(in.metadata());
            assertThat(out.timestamp().getNano() % 1000).as("timestamp precision is microseconds").isZero();
            assertThat(out.timestamp()).isEqualTo(written.get(0).timestamp());
        }
        assertThat(written.get(5).id()).isEqualTo(new TypeId("chosen", chosen));
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            assertThat(SqliteFileTest.read(store, stream)).containsExactlyElementsOf(written);
            try (StreamIterator all = store.readAll(ReadAllOptions.defaults())) {
                assertThat(all.toList()).containsExactlyElementsOf(written);
            }
        }
    }

    @Test
    @DisplayName("timestamps are stored as INTEGER microseconds since the epoch")
    void timestampColumn() throws Exception {
        Path file = directory.resolve("ts.db");
        Event event;
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            event = store.appendStream(TypeId.newV4("s"), SqliteFileTest.events(1)).get(0);
        }
        try (Connection c = java.sql.DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement();
                ResultSet rows = s.executeQuery("SELECT typeof(recorded_us), recorded_us FROM events")) {
            rows.next();
            assertThat(rows.getString(1)).isEqualTo("integer");
            long micros = rows.getLong(2);
            assertThat(micros).isEqualTo(event.timestamp().getEpochSecond() * 1_000_000 + event.timestamp().getNano() / 1000);
        }
    }

    @Test
    @DisplayName("each event read back has its own metadata, when neighbours repeat or differ")
    void metadataOfNeighbours() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("meta.db"))) {
            TypeId stream = TypeId.newV4("s");
            List<Map<String, String>> metadata = List.of(Map.of("k", "1"), Map.of("k", "1"), Map.of("k", "2"),
                    Map.of(), Map.of("k", "1", "z", ""), Map.of("k", "1"));
            List<WritableEvent> batch = new ArrayList<>();
            for (Map<String, String> m : metadata) {
                batch.add(WritableEvent.of("e", new byte[] {1}).withMetadata(m));
            }
            store.appendStream(stream, batch);
            List<Map<String, String>> read = new ArrayList<>();
            try (StreamIterator it = store.readAll(ReadAllOptions.defaults())) {
                while (it.hasNext()) {
                    read.add(it.next().metadata());
                }
            }
            assertThat(read).isEqualTo(metadata);
            assertThat(SqliteFileTest.read(store, stream)).extracting(Event::metadata).isEqualTo(metadata);
        }
    }

    @Test
    @DisplayName("an append longer than one INSERT statement keeps version order in its positions, and fails whole")
    void appendsAcrossSeveralInsertStatements() throws Exception {
        int size = 2 * WriteStatements.ROWS_PER_INSERT + 6;
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("long.db"))) {
            TypeId stream = TypeId.newV4("s");
            List<WritableEvent> batch = new ArrayList<>();
            for (int i = 0; i < size; i++) {
                batch.add(WritableEvent.of("e" + (i % 3), new byte[] {(byte) i}).withMetadata(Map.of("i", "" + i)));
            }
            List<Event> written = store.appendStream(stream, batch);
            assertThat(written).extracting(Event::streamVersion)
                    .containsExactlyElementsOf(java.util.stream.LongStream.rangeClosed(1, size).boxed().toList());
            for (int i = 1; i < size; i++) {
                assertThat(written.get(i).globalPosition().orElseThrow())
                        .isGreaterThan(written.get(i - 1).globalPosition().orElseThrow());
                assertThat(written.get(i).data()).containsExactly((byte) i);
            }
            assertThat(SqliteFileTest.read(store, stream)).isEqualTo(written);

            // A failure in a later statement of the append (forced by a trigger, since the store
            // refuses beforehand whatever it can foresee) takes the earlier statements' events with it.
            try (Connection raw = java.sql.DriverManager.getConnection("jdbc:sqlite:" + store.file());
                    Statement ddl = raw.createStatement()) {
                ddl.execute("CREATE TRIGGER fail_late BEFORE INSERT ON events WHEN NEW.version = "
                        + (WriteStatements.ROWS_PER_INSERT + 3) + " BEGIN SELECT RAISE(ABORT, 'refused by the test'); END");
            }
            TypeId other = TypeId.newV4("s");
            assertThatThrownBy(() -> store.appendStream(other, batch)).isInstanceOf(EventStoreException.class)
                    .hasMessageContaining("refused by the test");
            assertThatThrownBy(() -> SqliteFileTest.read(store, other)).isInstanceOf(StreamNotFoundException.class);
            try (StreamIterator it = store.readAll(ReadAllOptions.defaults())) {
                assertThat(it.toList()).isEqualTo(written);
            }
        }
    }

    @Test
    @DisplayName("an event UUID is unique across the whole store")
    void eventIdsUniqueAcrossStore() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("ids.db"))) {
            UUID id = UUID.randomUUID();
            TypeId first = TypeId.newV4("s");
            TypeId second = TypeId.newV4("s");
            store.appendStream(first, List.of(WritableEvent.of("a", new byte[0]).withEventId(id)));
            // Same UUID, other event type, other stream: still the same event ID.
            assertThatThrownBy(() -> store.appendStream(second,
                    List.of(WritableEvent.of("b", new byte[0]).withEventId(id))))
                    .isInstanceOf(DuplicateEventIdException.class)
                    .hasMessageContaining(first.toString());
            assertThatThrownBy(() -> SqliteFileTest.read(store, second)).isInstanceOf(StreamNotFoundException.class);
        }
    }

    @Test
    @DisplayName("strings UTF-8 cannot hold are refused before anything is written")
    void unstorableStringsRefused() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("text.db"))) {
            TypeId stream = TypeId.newV4("s");
            WritableEvent good = WritableEvent.of("good", new byte[0]);
            List<List<WritableEvent>> bad = List.of(
                    List.of(good, WritableEvent.of("bad\uD800", new byte[0])),
                    List.of(good.withContentType("text/\uDC00")),
                    List.of(good.withMetadata("key\uD800", "v")),
                    List.of(good.withMetadata("key", "v\uDFFF")));
            for (List<WritableEvent> batch : bad) {
                assertThatThrownBy(() -> store.appendStream(stream, batch))
                        .isInstanceOf(IllegalArgumentException.class)
                        .hasMessageContaining(stream.toString())
                        .hasMessageContaining("unpaired surrogate");
            }
            TypeId badStream = new TypeId("s\uD800", UUID.randomUUID());
            assertThatThrownBy(() -> store.appendStream(badStream, List.of(good)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stream type");
            assertThatThrownBy(() -> store.readStream(badStream)).isInstanceOf(StreamNotFoundException.class);
            assertThatThrownBy(() -> store.deleteStream(badStream)).isInstanceOf(StreamNotFoundException.class);
            assertThat(store.listStreams()).isEmpty();
            try (StreamIterator all = store.readAll()) {
                assertThat(all.hasNext()).isFalse();
            }
            assertThat(store.commitCount()).isZero();
        }
    }

    @Test
    @DisplayName("the chosen ID of an idempotent retry returns the stored events, timestamps included")
    void idempotentRetryReturnsStored() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("retry.db"))) {
            TypeId stream = TypeId.newV4("s");
            List<WritableEvent> batch = List.of(
                    new WritableEvent("a", new byte[] {1}, "x/y", Map.of("k", "v"), Optional.of(UUID.randomUUID())),
                    new WritableEvent("b", new byte[] {2}, "", Map.of(), Optional.of(UUID.randomUUID())));
            List<Event> first = store.appendStream(stream, batch);
            long commits = store.commitCount();
            List<Event> retry = store.appendStream(stream, batch, AppendStreamOptions.expectingNoStream());
            assertThat(retry).isEqualTo(first);
            assertThat(SqliteFileTest.read(store, stream)).isEqualTo(first);
            assertThat(store.commitCount()).as("a retry writes nothing, so commits nothing").isEqualTo(commits);
        }
    }
}
