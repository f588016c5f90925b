package dev.estoria.jackson;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import dev.estoria.codec.Codec;
import dev.estoria.codec.CodecException;
import java.io.IOException;
import java.util.Objects;

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
}
