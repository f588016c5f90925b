package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Reads see one snapshot each and never block writes. */
@Timeout(60)
class SnapshotReadTest {

    @TempDir
    Path directory;

    @Test
    @DisplayName("appends and deletions complete while a global read is open; the read keeps its snapshot")
    void writesDoNotWaitForReads() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("wal.db"))) {
            TypeId stream = TypeId.newV4("s");
            for (int i = 0; i < 10; i++) {
                store.appendStream(stream, SqliteFileTest.events(30));
            }
            List<Event> seen = new ArrayList<>();
            try (StreamIterator it = store.readAll()) {
                for (int i = 0; i < 10; i++) {
                    seen.add(it.next());
                }
                // Both commit on the writer thread while this read holds its snapshot.
                store.appendStream(TypeId.newV4("late"), SqliteFileTest.events(5));
                store.deleteStream(stream);
                while (it.hasNext()) {
                    seen.add(it.next());
                }
            }
            assertThat(seen).hasSize(300);
            assertThat(seen).allSatisfy(e -> assertThat(e.streamId()).isEqualTo(stream));
            try (StreamIterator it = store.readAll()) {
                assertThat(it.toList()).hasSize(5);
            }
        }
    }

    @Test
    @DisplayName("a stream read sees the stream as it was when the read began, even if it is deleted meanwhile")
    void streamReadIsOneSnapshot() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("snapshot.db"))) {
            TypeId stream = TypeId.newV4("s");
            List<Event> written = store.appendStream(stream, SqliteFileTest.events(10));
            List<Event> seen = new ArrayList<>();
            try (StreamIterator it = store.readStream(stream, ReadStreamOptions.reverse())) {
                seen.add(it.next());
                store.deleteStream(stream);
                store.appendStream(stream, SqliteFileTest.events(3));
                while (it.hasNext()) {
                    seen.add(it.next());
                }
            }
            assertThat(seen).isEqualTo(written.reversed());
            assertThat(SqliteFileTest.read(store, stream)).extracting(Event::streamVersion).containsExactly(1L, 2L, 3L);
            store.deleteStream(stream);
            assertThatThrownBy(() -> store.readStream(stream)).isInstanceOf(StreamNotFoundException.class);
        }
    }

    @Test
    @DisplayName("more open iterators than pooled connections all work, interleaved on one thread")
    void manyOpenIterators() {
        try (SqliteEventStore store = SqliteEventStore.open(directory.resolve("many.db"),
                SqliteOptions.defaults().withReadConnections(1))) {
            List<TypeId> streams = new ArrayList<>();
            for (int i = 0; i < 8; i++) {
                TypeId stream = TypeId.newV4("s");
                streams.add(stream);
                store.appendStream(stream, SqliteFileTest.events(5));
            }
            List<StreamIterator> open = new ArrayList<>();
            for (TypeId stream : streams) {
                open.add(store.readStream(stream));
            }
            open.add(store.readAll());
            int[] counts = new int[open.size()];
            boolean progress = true;
            while (progress) {
                progress = false;
                for (int i = 0; i < open.size(); i++) {
                    if (open.get(i).hasNext()) {
                        open.get(i).next();
                        counts[i]++;
                        progress = true;
                    }
                }
            }
            open.forEach(StreamIterator::close);
            for (int i = 0; i < streams.size(); i++) {
                assertThat(counts[i]).isEqualTo(5);
            }
            assertThat(counts[streams.size()]).isEqualTo(40);
        }
    }

    @Test
    @DisplayName("an iterator left open does not stop the store from closing; closing it later is harmless")
    void iteratorOutlivingStore() {
        SqliteEventStore store = SqliteEventStore.open(directory.resolve("outlive.db"));
        store.appendStream(TypeId.newV4("s"), SqliteFileTest.events(3));
        StreamIterator it = store.readAll();
        assertThat(it.next().streamVersion()).isEqualTo(1);
        store.close();
        it.close();
        List<WritableEvent> more = SqliteFileTest.events(1);
        try (SqliteEventStore reopened = SqliteEventStore.open(directory.resolve("outlive.db"))) {
            reopened.appendStream(TypeId.newV4("t"), more);
            try (StreamIterator all = reopened.readAll()) {
                assertThat(all.toList()).hasSize(4);
            }
        }
    }
}
