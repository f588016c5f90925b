package dev.estoria.jackson;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationContext;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonDeserializer;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.deser.std.NumberDeserializers;
import com.fasterxml.jackson.databind.deser.std.StdDeserializer;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.module.SimpleModule;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.estoria.codec.Codec;
import dev.estoria.codec.CodecException;
import java.io.IOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Objects;
import java.util.function.Function;

/**
 * A {@link Codec} that writes and reads JSON with Jackson, declaring content type {@value #JSON}.
 *
 * <p>The default mapper handles records and {@code java.time} values (ISO-8601 strings that keep
 * their offset and zone, so a value decodes equal to the one encoded), ignores properties it does
 * not know (so older code can read events written by newer code) and fails on a value of the wrong
 * type (a fraction for an integer field, too) or content after the value, which surfaces as {@link
 * CodecException}.
 */
public final class JacksonCodec implements Codec {

    /** The content type this codec declares. */
    public static final String JSON = "application/json";

    private final ObjectMapper mapper;

    private JacksonCodec(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    /** A codec with the default mapper described above. */
    public static JacksonCodec create() {
        return new JacksonCodec(defaultMapper());
    }

    /** A codec over a mapper of your own; it must write JSON. */
    public static JacksonCodec with(ObjectMapper mapper) {
        return new JacksonCodec(mapper);
    }

    /** The default mapper, to extend and pass to {@link #with(ObjectMapper)}. */
    public static JsonMapper defaultMapper() {
        return JsonMapper.builder()
                .addModule(new JavaTimeModule())
                .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
                .disable(SerializationFeature.WRITE_DURATIONS_AS_TIMESTAMPS)
                // A zoned or offset time is a fact as recorded: decoding must not move it to UTC.
                .enable(SerializationFeature.WRITE_DATES_WITH_ZONE_ID)
                .disable(DeserializationFeature.ADJUST_DATES_TO_CONTEXT_TIME_ZONE)
                // Decoding never drops data silently: 1.9 is not a long, and a payload is one value.
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                // ... while a whole number in float form (1.0, 3e2: older payloads, other writers)
                // loses nothing, and still decodes.
                .addModule(WholeFloats.module())
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .build();
    }

    @Override
    public String contentType() {
        return JSON;
    }

    @Override
    public byte[] encode(Object value) {
        try {
            return mapper.writeValueAsBytes(value);
        } catch (JsonProcessingException e) {
            throw new CodecException("cannot encode " + value.getClass().getName() + " as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    @Override
    public <T> T decode(byte[] data, Class<T> type) {
        try {
            T value = mapper.readValue(data, type);
            if (value == null) {
                throw new CodecException("JSON null is not a " + type.getName());
            }
            return value;
        } catch (JsonProcessingException e) {
            throw new CodecException("cannot decode JSON as " + type.getName() + ": " + e.getOriginalMessage(), e);
        } catch (IOException e) {
            throw new CodecException("cannot read JSON as " + type.getName(), e);
        }
    }

    /**
     * Integer deserializers that take a float token holding a whole number (1.0, 3e2) exactly, and
     * refuse a fraction or a value out of range; every other token goes to Jackson's own. Jackson
     * reads primitive arrays ({@code long[]}) with deserializers of their own, which take integer
     * tokens only.
     */
    private static final class WholeFloats<T> extends StdDeserializer<T> {

        /** Decimal digits a whole number may have before the point: more than BigInteger needs here. */
        private static final int MAX_DIGITS = 1000;

        private final transient JsonDeserializer<?> standard;
        private final transient Function<BigInteger, T> exact;

        private WholeFloats(Class<T> type, Function<BigInteger, T> exact) {
            super(type);
            this.standard = NumberDeserializers.find(type, type.getName());
            this.exact = exact;
        }

        static SimpleModule module() {
            SimpleModule module = new SimpleModule("estoria-whole-floats");
            add(module, Long.class, long.class, BigInteger::longValueExact);
            add(module, Integer.class, int.class, BigInteger::intValueExact);
            add(module, Short.class, short.class, BigInteger::shortValueExact);
            add(module, Byte.class, byte.class, BigInteger::byteValueExact);
            module.addDeserializer(BigInteger.class, new WholeFloats<>(BigInteger.class, b -> b));
            return module;
        }

        private static <T> void add(SimpleModule module, Class<T> boxed, Class<T> primitive, Function<BigInteger, T> exact) {
            module.addDeserializer(boxed, new WholeFloats<>(boxed, exact));
            module.addDeserializer(primitive, new WholeFloats<>(primitive, exact));
        }

        @Override
        @SuppressWarnings("unchecked")
        public T deserialize(JsonParser p, DeserializationContext ctxt) throws IOException {
            if (!p.hasToken(JsonToken.VALUE_NUMBER_FLOAT)) {
                return (T) standard.deserialize(p, ctxt);
            }
            BigDecimal value = p.getDecimalValue();
            if (value.signum() != 0 && value.precision() - value.scale() > MAX_DIGITS) {
                return (T) ctxt.handleWeirdNumberValue(handledType(), value, "too large for %s", handledType().getName());
            }
            try {
                return exact.apply(value.toBigIntegerExact());
            } catch (ArithmeticException e) {
                return (T) ctxt.handleWeirdNumberValue(handledType(), value,
                        "not a whole number in the range of %s", handledType().getName());
            }
        }

        @Override
        @SuppressWarnings("unchecked")
        public T getNullValue(DeserializationContext ctxt) throws com.fasterxml.jackson.databind.JsonMappingException {
            return (T) standard.getNullValue(ctxt);
        }
    }
}
