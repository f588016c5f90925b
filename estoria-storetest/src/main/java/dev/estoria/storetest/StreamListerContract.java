package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.StreamDeleter;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.StreamLister;
import dev.estoria.typeid.TypeId;
import java.util.Comparator;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link StreamLister}: every existing stream with its tip, ordered by stream ID;
 * truncated streams listed, deleted ones not. Needs a store whose streams the test owns.
 *
 * @param <S> the store type under test
 */
public abstract class StreamListerContract<S extends EventStore & StreamLister & StreamDeleter>
        extends StoreContract<S> {

    @Test
    @DisplayName("lists every stream with its version, ordered by stream ID")
    void listsStreams() {
        assertThat(store.listStreams()).isEmpty();
        TypeId one = newStreamId();
        TypeId two = TypeId.newV4("another");
        TypeId three = newStreamId();
        append(one, 2);
        append(two, 1);
        append(three, 4);
        List<StreamInfo> expected = new java.util.ArrayList<>(List.of(
                new StreamInfo(one, 2), new StreamInfo(two, 1), new StreamInfo(three, 4)));
        expected.sort(Comparator.comparing(StreamInfo::streamId));
        assertThat(store.listStreams()).containsExactlyElementsOf(expected);
    }

    @Test
    @DisplayName("lists a truncated stream with its tip and leaves a deleted one out")
    void truncatedListedDeletedNot() {
        TypeId truncated = newStreamId();
        TypeId deleted = newStreamId();
        append(truncated, 3);
        append(deleted, 1);
        store.deleteStream(truncated, DeleteStreamOptions.truncateTo(3));
        store.deleteStream(deleted, DeleteStreamOptions.wholeStream());
        assertThat(store.listStreams()).containsExactly(new StreamInfo(truncated, 3));
    }
}
