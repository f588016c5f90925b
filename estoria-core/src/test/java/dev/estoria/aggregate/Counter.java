package dev.estoria.aggregate;

import dev.estoria.codec.Codec;
import dev.estoria.codec.CodecException;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

/** A counter aggregate with a tiny text codec, so the aggregate layer is tested without JSON. */
record Counter(long value, String label) {

    sealed interface CounterEvent permits Incremented, Labelled {
    }

    @EventType("incremented")
    record Incremented(long by) implements CounterEvent, DomainEvent<Counter> {
        @Override
        public Counter applyTo(Counter state) {
            return new Counter(state.value() + by, state.label());
        }
    }

    @EventType("labelled")
    record Labelled(String label) implements CounterEvent, DomainEvent<Counter> {
        @Override
        public Counter applyTo(Counter state) {
            return new Counter(state.value(), label);
        }
    }

    static Counter initial(UUID id) {
        return new Counter(0, "");
    }

    /** Encodes the three record shapes above as {@code kind:field}. */
    static final class TextCodec implements Codec {
        static final String CONTENT_TYPE = "text/x-counter";

        @Override
        public String contentType() {
            return CONTENT_TYPE;
        }

        @Override
        public byte[] encode(Object value) {
            String text = switch (value) {
                case Incremented i -> "inc:" + i.by();
                case Labelled l -> "label:" + l.label();
                case Counter c -> "counter:" + c.value() + ":" + c.label();
                default -> throw new CodecException("cannot encode " + value.getClass());
            };
            return text.getBytes(StandardCharsets.UTF_8);
        }

        @Override
        public <T> T decode(byte[] data, Class<T> type) {
            String text = new String(data, StandardCharsets.UTF_8);
            try {
                Object value;
                if (type == Incremented.class && text.startsWith("inc:")) {
                    value = new Incremented(Long.parseLong(text.substring(4)));
                } else if (type == Labelled.class && text.startsWith("label:")) {
                    value = new Labelled(text.substring(6));
                } else if (type == Counter.class && text.startsWith("counter:")) {
                    String[] parts = text.split(":", 3);
                    value = new Counter(Long.parseLong(parts[1]), parts[2]);
                } else {
                    throw new CodecException("'" + text + "' is not a " + type.getSimpleName());
                }
                return type.cast(value);
            } catch (NumberFormatException e) {
                throw new CodecException("malformed number in '" + text + "'", e);
            }
        }
    }

    static AggregateType.Builder<Counter, CounterEvent> typeBuilder() {
        return AggregateType.builder("counter", CounterEvent.class, Counter::initial)
                .event(Incremented.class)
                .event(Labelled.class)
                .codec(new TextCodec());
    }

    static AggregateType<Counter, CounterEvent> type() {
        return typeBuilder().build();
    }
}
