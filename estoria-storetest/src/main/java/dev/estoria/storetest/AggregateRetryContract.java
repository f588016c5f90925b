package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.aggregate.Aggregate;
import dev.estoria.aggregate.AggregateType;
import dev.estoria.aggregate.ConflictRetry;
import dev.estoria.aggregate.DomainEvent;
import dev.estoria.aggregate.EventSourcedAggregateStore;
import dev.estoria.aggregate.RetryPolicy;
import dev.estoria.codec.Codec;
import dev.estoria.codec.CodecException;
import dev.estoria.eventstore.EventStore;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Aggregates over a store under contention: 16 threads each add 1 to one counter 100 times through
 * {@link ConflictRetry}, and the counter ends at exactly 1,600 with 1,600 stored events.
 *
 * @param <S> the store type under test
 */
public abstract class AggregateRetryContract<S extends EventStore> extends StoreContract<S> {

    /** The counter's state. */
    public record Count(long value) {
    }

    /** Adds one. */
    public record Incremented() implements DomainEvent<Count> {
        @Override
        public Count applyTo(Count state) {
            return new Count(state.value() + 1);
        }
    }

    /** The counter's codec: events are empty, state is its decimal value. */
    static final class CountCodec implements Codec {
        @Override
        public String contentType() {
            return "text/plain";
        }

        @Override
        public byte[] encode(Object value) {
            return value instanceof Count c ? Long.toString(c.value()).getBytes(StandardCharsets.UTF_8) : new byte[0];
        }

        @Override
        public <T> T decode(byte[] data, Class<T> type) {
            if (type == Incremented.class) {
                return type.cast(new Incremented());
            }
            if (type == Count.class) {
                return type.cast(new Count(Long.parseLong(new String(data, StandardCharsets.UTF_8))));
            }
            throw new CodecException("cannot decode " + type);
        }
    }

    @Test
    @Timeout(300)
    @DisplayName("16 threads x 100 conflict-retried increments of one counter end at exactly 1600")
    void concurrentIncrementsEndExact() throws Exception {
        AggregateType<Count, Incremented> type = AggregateType.builder("counter", Incremented.class, id -> new Count(0))
                .event("incremented", Incremented.class).codec(new CountCodec()).build();
        var aggregates = new EventSourcedAggregateStore<>(store, type);
        Aggregate<Count, Incremented> counter = aggregates.create();
        counter.record(new Incremented());
        aggregates.save(counter);
        UUID id = counter.id().uuid();

        int threads = 16;
        int increments = 100;
        RetryPolicy patient = new RetryPolicy(10_000, Duration.ZERO, Duration.ofMillis(2));
        runConcurrently(threads, thread -> {
            for (int i = 0; i < increments; i++) {
                ConflictRetry.execute(aggregates, id, aggregate -> {
                    aggregate.record(new Incremented());
                    return null;
                }, patient);
            }
            return null;
        });
        Aggregate<Count, Incremented> done = aggregates.load(id);
        assertThat(done.state().value()).isEqualTo(1 + threads * increments);
        assertThat(done.version()).isEqualTo(1 + threads * increments);
        assertThat(readAll(counter.id())).hasSize(1 + threads * increments);
    }
}
