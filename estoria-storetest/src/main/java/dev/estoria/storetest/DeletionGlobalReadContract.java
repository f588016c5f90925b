package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamDeleter;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.typeid.TypeId;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Deletion reaches the global read: deleted and truncated events vanish from it, retained events
 * keep their positions, and positions are never reused. Clause IDs GC-xx follow the original suite.
 * Every test needs a store whose global log it owns.
 *
 * @param <S> the store type under test
 */
public abstract class DeletionGlobalReadContract<S extends EventStore & GlobalReader & StreamDeleter>
        extends StoreContract<S> {

    private List<Event> globalRead(ReadAllOptions options) {
        try (StreamIterator it = store.readAll(options)) {
            return drain(it);
        }
    }

    @Test
    @DisplayName("GC-01 a fully deleted stream vanishes from the global read")
    void deletedStreamVanishes() {
        TypeId deleted = TypeId.newV4("deleted");
        TypeId bystander = TypeId.newV4("bystander");
        append(deleted, 1);
        Event survivor = append(bystander, 1).get(0);
        append(deleted, 1);
        store.deleteStream(deleted, DeleteStreamOptions.wholeStream());
        assertThat(globalRead(ReadAllOptions.defaults())).containsExactly(survivor);
    }

    @Test
    @DisplayName("GC-02 truncated events vanish; retained events keep their positions")
    void truncatedEventsVanish() {
        TypeId truncated = TypeId.newV4("truncated");
        TypeId bystander = TypeId.newV4("bystander");
        append(truncated, 1);
        Event other = append(bystander, 1).get(0);
        append(truncated, 1);
        Event retained = append(truncated, 1).get(0);
        store.deleteStream(truncated, DeleteStreamOptions.truncateTo(2));
        assertThat(globalRead(ReadAllOptions.defaults())).containsExactly(other, retained);
        assertThat(retained.streamVersion()).isEqualTo(3);
    }

    @Test
    @DisplayName("GC-03 positions are never reused after the newest events are deleted")
    void positionsNeverReused() {
        TypeId stream = newStreamId();
        List<Event> first = append(stream, 3);
        long checkpoint = first.get(2).globalPosition().orElseThrow();
        store.deleteStream(stream, DeleteStreamOptions.wholeStream());
        List<Event> again = append(stream, 2);
        assertThat(positions(again)).allMatch(p -> p > checkpoint);
        assertThat(globalRead(ReadAllOptions.after(checkpoint))).containsExactlyElementsOf(again);

        TypeId truncated = newStreamId();
        List<Event> t = append(truncated, 2);
        long tip = t.get(1).globalPosition().orElseThrow();
        store.deleteStream(truncated, DeleteStreamOptions.truncateTo(2));
        assertThat(positions(append(truncated, 1))).allMatch(p -> p > tip);
    }

    @Test
    @DisplayName("GC-04 headPosition skips deleted events, and what follows it still comes after every old position")
    void headPositionAfterDeletion() {
        TypeId kept = newStreamId();
        TypeId deleted = newStreamId();
        Event survivor = append(kept, 1).get(0);
        long oldHead = append(deleted, 2).get(1).globalPosition().orElseThrow();
        store.deleteStream(deleted, DeleteStreamOptions.wholeStream());
        assertThat(store.headPosition()).isEqualTo(survivor.globalPosition().orElseThrow());
        List<Event> later = append(kept, 1);
        assertThat(positions(later)).allMatch(p -> p > oldHead);
        assertThat(globalRead(ReadAllOptions.after(store.headPosition()))).isEmpty();
        store.deleteStream(kept, DeleteStreamOptions.wholeStream());
        assertThat(store.headPosition()).isZero();
    }
}
