package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.util.AbstractList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The per-transaction event limit of watermark positions is enforced before anything is written. */
class LimitsTest {

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
            assertThatThrownBy(() -> store.readStream(stream, dev.estoria.eventstore.ReadStreamOptions.defaults()))
                    .isInstanceOf(StreamNotFoundException.class);
        } finally {
            db.discard(store);
        }
    }
}
