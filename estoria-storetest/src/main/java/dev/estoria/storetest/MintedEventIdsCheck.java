package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamWriter;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

/**
 * Checks that a store mints the event IDs the caller did not choose as version 7 UUIDs, so that
 * IDs of later appends sort higher (see {@link TypeId#timeOrderedV7()}). Not part of the contract
 * classes: a store may mint any unique IDs; Estoria's own stores promise time order, which keeps
 * their unique index on event IDs growing at one end.
 */
public final class MintedEventIdsCheck {

    private MintedEventIdsCheck() {
    }

    /** Appends twice, in two different milliseconds, and checks the minted IDs' version and order. */
    public static void timeOrdered(StreamWriter store) {
        TypeId stream = TypeId.newV4("storetest");
        WritableEvent event = WritableEvent.of("eventtype", "{}".getBytes(StandardCharsets.UTF_8));
        List<Event> first = store.appendStream(stream, List.of(event, event), AppendStreamOptions.expectingNoStream());
        long millis = System.currentTimeMillis();
        while (System.currentTimeMillis() == millis) {
            Thread.onSpinWait(); // v7 orders IDs of different milliseconds only
        }
        List<Event> second = store.appendStream(stream, List.of(event), AppendStreamOptions.expectingVersion(2));
        UUID a = first.get(0).id().uuid();
        UUID b = first.get(1).id().uuid();
        UUID c = second.get(0).id().uuid();
        assertThat(List.of(a.version(), b.version(), c.version())).as("UUID versions of minted event IDs")
                .containsOnly(7);
        assertThat(a).as("two events of one append get distinct IDs").isNotEqualTo(b);
        // The 48-bit time field leads the most significant half, whose sign bit stays clear until
        // the year 10889, so UUID.compareTo orders v7 IDs by time.
        assertThat(c).as("an ID minted in a later millisecond").isGreaterThan(a).isGreaterThan(b);
        assertThat(first.get(0).id().type()).isEqualTo("eventtype");
    }
}
