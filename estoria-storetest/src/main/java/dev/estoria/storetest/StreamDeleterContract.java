package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamDeleter;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.typeid.TypeId;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link StreamDeleter}: whole-stream deletion frees the ID, truncation keeps
 * versions and the version counter. Clause IDs SD-xx follow the original suite.
 *
 * @param <S> the store type under test
 */
public abstract class StreamDeleterContract<S extends EventStore & StreamDeleter> extends StoreContract<S> {

    @Test
    @DisplayName("SD-01 deletes one stream without touching others")
    void deletesOneStream() {
        TypeId deleted = newStreamId();
        TypeId bystander = newStreamId();
        append(deleted, 3);
        List<Event> kept = append(bystander, 2);
        store.deleteStream(deleted, DeleteStreamOptions.wholeStream());
        assertThatThrownBy(() -> store.readStream(deleted, ReadStreamOptions.defaults()).close())
                .isInstanceOf(StreamNotFoundException.class);
        assertThat(readAll(bystander)).containsExactlyElementsOf(kept);
    }

    @Test
    @DisplayName("SD-02 deleting a never-written stream is not found, and so is deleting twice")
    void deletingMissingStreamIsNotFound() {
        TypeId stream = newStreamId();
        assertThatThrownBy(() -> store.deleteStream(stream, DeleteStreamOptions.wholeStream()))
                .isInstanceOfSatisfying(StreamNotFoundException.class,
                        e -> assertThat(e.streamId()).isEqualTo(stream));
        assertThatThrownBy(() -> store.deleteStream(stream, DeleteStreamOptions.truncateTo(3)))
                .isInstanceOf(StreamNotFoundException.class);
        append(stream, 1);
        store.deleteStream(stream, DeleteStreamOptions.wholeStream());
        assertThatThrownBy(() -> store.deleteStream(stream, DeleteStreamOptions.wholeStream()))
                .isInstanceOf(StreamNotFoundException.class);
    }

    @Test
    @DisplayName("SD-03 a deleted stream ID is reusable from version 1")
    void deletedIdReusable() {
        TypeId stream = newStreamId();
        append(stream, 3);
        store.deleteStream(stream, DeleteStreamOptions.wholeStream());
        List<Event> written = store.appendStream(stream, events(1), AppendStreamOptions.expectingNoStream());
        assertThat(versions(written)).containsExactly(1L);
        assertThat(readAll(stream)).containsExactlyElementsOf(written);
    }

    @Test
    @DisplayName("SD-04 truncation removes early events and later ones keep their versions")
    void truncationKeepsLaterVersions() {
        TypeId stream = newStreamId();
        List<Event> written = append(stream, 5);
        store.deleteStream(stream, DeleteStreamOptions.truncateTo(2));
        List<Event> read = readAll(stream);
        assertThat(read).containsExactlyElementsOf(written.subList(2, 5));
        assertThat(read.get(0).data()).isEqualTo(payload(2));
        assertThat(versions(read(stream, ReadStreamOptions.defaults().afterVersion(4)))).containsExactly(5L);
        assertThat(versions(read(stream, ReadStreamOptions.defaults().afterVersion(1)))).containsExactly(3L, 4L, 5L);
        assertThat(versions(read(stream, ReadStreamOptions.reverse()))).containsExactly(5L, 4L, 3L);
        assertThat(versions(read(stream, ReadStreamOptions.reverse().afterVersion(2))))
                .as("a reverse bound below the retained range is empty").isEmpty();
        assertThat(versions(read(stream, ReadStreamOptions.reverse().afterVersion(4).count(1)))).containsExactly(4L);
    }

    @Test
    @DisplayName("SD-05 truncating to empty keeps the stream and its version counter")
    void truncateToEmptyKeepsStream() {
        TypeId stream = newStreamId();
        append(stream, 3);
        store.deleteStream(stream, DeleteStreamOptions.truncateTo(10));
        assertThat(readAll(stream)).as("empty, not missing").isEmpty();
        assertThat(read(stream, ReadStreamOptions.reverse())).isEmpty();
        assertThatThrownBy(() -> store.appendStream(stream, events(1), AppendStreamOptions.expectingNoStream()))
                .isInstanceOfSatisfying(StreamVersionMismatchException.class,
                        e -> assertThat(e.actualVersion()).isEqualTo(3));
        List<Event> written = store.appendStream(stream, events(1), AppendStreamOptions.expectingVersion(3));
        assertThat(versions(written)).containsExactly(4L);
        assertThat(readAll(stream)).containsExactlyElementsOf(written);
    }

    @Test
    @DisplayName("truncating an already truncated range, or to version 1, behaves")
    void repeatedTruncation() {
        TypeId stream = newStreamId();
        append(stream, 4);
        store.deleteStream(stream, DeleteStreamOptions.truncateTo(1));
        assertThat(versions(readAll(stream))).containsExactly(2L, 3L, 4L);
        store.deleteStream(stream, DeleteStreamOptions.truncateTo(1));
        assertThat(versions(readAll(stream))).containsExactly(2L, 3L, 4L);
        store.deleteStream(stream, DeleteStreamOptions.truncateTo(3));
        assertThat(versions(readAll(stream))).containsExactly(4L);
        store.appendStream(stream, events(1), AppendStreamOptions.expectingStreamExists());
        assertThat(versions(readAll(stream))).containsExactly(4L, 5L);
        store.deleteStream(stream, DeleteStreamOptions.wholeStream());
        assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()).close())
                .isInstanceOf(StreamNotFoundException.class);
    }

    @Test
    @DisplayName("null arguments and negative bounds are refused")
    void invalidDeletesRefused() {
        TypeId stream = newStreamId();
        append(stream, 1);
        assertThatThrownBy(() -> store.deleteStream(null, DeleteStreamOptions.wholeStream()))
                .isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> store.deleteStream(stream, null)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> DeleteStreamOptions.truncateTo(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("toVersion");
        assertThat(readAll(stream)).hasSize(1);
    }

    @Test
    @DisplayName("SD-06 a deleted stream is a missing one to expectations: stream-exists and its old version are refused with actual 0")
    void deletedStreamFailsExistenceExpectations() {
        TypeId stream = newStreamId();
        append(stream, 3);
        store.deleteStream(stream, DeleteStreamOptions.wholeStream());
        assertThatThrownBy(() -> store.appendStream(stream, events(1), AppendStreamOptions.expectingStreamExists()))
                .isInstanceOfSatisfying(StreamVersionMismatchException.class,
                        e -> assertThat(e.actualVersion()).isZero());
        assertThatThrownBy(() -> store.appendStream(stream, events(1), AppendStreamOptions.expectingVersion(3)))
                .isInstanceOfSatisfying(StreamVersionMismatchException.class,
                        e -> assertThat(e.actualVersion()).isZero());
        assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()).close())
                .as("nothing written").isInstanceOf(StreamNotFoundException.class);
    }

    @Test
    @DisplayName("SD-07 iterators over a stream truncated to empty close like any other, in both directions")
    void emptyIteratorsOfTruncatedStreamClose() {
        TypeId stream = newStreamId();
        append(stream, 2);
        store.deleteStream(stream, DeleteStreamOptions.truncateTo(2));
        for (ReadStreamOptions options : List.of(ReadStreamOptions.defaults(), ReadStreamOptions.reverse())) {
            dev.estoria.eventstore.StreamIterator it = store.readStream(stream, options);
            assertThat(it.hasNext()).isFalse();
            it.close();
            assertThatThrownBy(it::hasNext).as(options.toString())
                    .isInstanceOf(dev.estoria.eventstore.StreamIteratorClosedException.class);
        }
    }
}
