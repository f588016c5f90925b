package dev.estoria.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The README's quickstart, kept compiling and passing. */
class QuickstartTest {

    @Test
    void quickstart() {
        List<String> printed = new ArrayList<>();

        // --- README quickstart begins
        EventStore store = InMemoryEventStore.create();
        TypeId account = TypeId.newV7("account");

        store.appendStream(account, List.of(
                WritableEvent.json("balancechanged", "{\"amount\": 100}")),
                AppendStreamOptions.expectingNoStream());

        try (StreamIterator events = store.readStream(account, ReadStreamOptions.defaults())) {
            for (Event event : events) {
                printed.add(event.streamVersion() + " " + event.type() + " "
                        + new String(event.data(), StandardCharsets.UTF_8));
            }
        }
        // --- README quickstart ends

        assertThat(printed).containsExactly("1 balancechanged {\"amount\": 100}");
    }
}
