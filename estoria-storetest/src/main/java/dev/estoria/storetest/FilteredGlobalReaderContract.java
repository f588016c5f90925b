package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Filtered global reads: by stream type, event type, both, and with Estoria's internal streams left
 * out; positions, resume and count behave as for unfiltered reads.
 *
 * @param <S> the store type under test
 */
public abstract class FilteredGlobalReaderContract<S extends EventStore & GlobalReader> extends StoreContract<S> {

    private final List<Event> all = new ArrayList<>();

    private void write(String streamType, String... eventTypes) {
        List<WritableEvent> batch = new ArrayList<>();
        for (int i = 0; i < eventTypes.length; i++) {
            batch.add(WritableEvent.of(eventTypes[i], payload(i)));
        }
        all.addAll(store.appendStream(TypeId.newV4(streamType), batch,
                AppendStreamOptions.defaults().withReservedMetadataAllowed()));
    }

    @BeforeEach
    final void fixture() {
        write("account", "opened", "deposited");
        write("order", "placed");
        write("estoria.snapshot.account", "snapshot");
        write("account", "opened", "withdrawn", "deposited");
        write("order", "placed", "shipped");
        write("customer", "registered");
    }

    private List<Event> read(ReadAllOptions options) {
        try (StreamIterator it = store.readAll(options)) {
            return drain(it);
        }
    }

    private List<Event> expected(EventFilter filter) {
        return all.stream().filter(filter::test).toList();
    }

    @Test
    @DisplayName("the default filter returns everything, internal streams included")
    void defaultReturnsEverything() {
        assertThat(read(ReadAllOptions.defaults())).containsExactlyElementsOf(all);
    }

    @Test
    @DisplayName("application streams leave the estoria. namespace out")
    void applicationStreams() {
        List<Event> read = read(ReadAllOptions.defaults().filter(EventFilter.applicationStreams()));
        assertThat(read).hasSize(all.size() - 1).containsExactlyElementsOf(expected(EventFilter.applicationStreams()));
    }

    @Test
    @DisplayName("by stream type, by event type, and by both")
    void byStreamAndEventType() {
        for (EventFilter filter : List.of(
                EventFilter.streamTypes("account"),
                EventFilter.streamTypes("account", "customer"),
                EventFilter.eventTypes("placed"),
                EventFilter.eventTypes("deposited", "shipped"),
                EventFilter.streamTypes("account").withEventTypes(Set.of("opened")),
                EventFilter.streamTypes("estoria.snapshot.account"),
                EventFilter.streamTypes("nothing"))) {
            assertThat(read(ReadAllOptions.defaults().filter(filter))).as(filter.toString())
                    .containsExactlyElementsOf(expected(filter));
        }
        assertThat(expected(EventFilter.streamTypes("estoria.snapshot.account"))).as("internal stream named").hasSize(1);
    }

    @Test
    @DisplayName("count counts matching events and resume skips by position")
    void countAndResume() {
        EventFilter accounts = EventFilter.streamTypes("account");
        List<Event> matching = expected(accounts);
        assertThat(read(ReadAllOptions.defaults().filter(accounts).count(2))).containsExactlyElementsOf(matching.subList(0, 2));
        long after = matching.get(1).globalPosition().orElseThrow();
        assertThat(read(ReadAllOptions.after(after).filter(accounts)))
                .containsExactlyElementsOf(matching.subList(2, matching.size()));
        assertThat(read(ReadAllOptions.after(after).filter(accounts).count(1))).containsExactly(matching.get(2));
    }
}
