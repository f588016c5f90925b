package dev.estoria.storetest.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.storetest.EventStoreContract;
import dev.estoria.storetest.MintedEventIdsCheck;
import dev.estoria.typeid.TypeId;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

class InMemoryEventStoreTest extends EventStoreContract<InMemoryEventStore> {

    @Override
    protected InMemoryEventStore createStore() {
        return InMemoryEventStore.create();
    }

    @Test
    void mintsTimeOrderedEventIds() {
        MintedEventIdsCheck.timeOrdered(store);
    }

    @Test
    void aFailedAppendToANewStreamLeavesNoStreamBehind() {
        AtomicBoolean failNext = new AtomicBoolean(true);
        InMemoryEventStore failing = InMemoryEventStore.withClock(new Clock() {
            @Override
            public ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                if (failNext.getAndSet(false)) {
                    throw new IllegalStateException("clock unavailable");
                }
                return Instant.EPOCH;
            }
        });
        TypeId id = newStreamId();
        assertThatThrownBy(() -> failing.appendStream(id, events(2))).hasMessage("clock unavailable");

        assertThatThrownBy(() -> failing.readStream(id)).isInstanceOf(StreamNotFoundException.class);
        assertThat(failing.listStreams()).isEmpty();
        assertThatThrownBy(() -> failing.deleteStream(id, DeleteStreamOptions.wholeStream()))
                .isInstanceOf(StreamNotFoundException.class);
        assertThat(failing.appendStream(id, events(1)).get(0).streamVersion()).isEqualTo(1);
    }
}
