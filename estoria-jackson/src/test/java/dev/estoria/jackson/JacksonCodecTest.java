package dev.estoria.jackson;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.codec.CodecException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZonedDateTime;
import java.util.List;
import org.junit.jupiter.api.Test;

class JacksonCodecTest {

    record Deposited(long amount, String currency, Instant at) {
    }

    record Account(String owner, long balance, List<String> tags) {
    }

    private final JacksonCodec codec = JacksonCodec.create();

    @Test
    void declaresJson() {
        assertThat(codec.contentType()).isEqualTo("application/json");
    }

    @Test
    void roundTripsRecordsWithTime() {
        Deposited event = new Deposited(100, "EUR", Instant.parse("2026-11-27T10:15:30.123456Z"));
        byte[] json = codec.encode(event);
        assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"amount\":100").contains("2026-11-27T10:15:30.123456Z");
        assertThat(codec.decode(json, Deposited.class)).isEqualTo(event);
        Account state = new Account("alice", 42, List.of("vip"));
        assertThat(codec.decode(codec.encode(state), Account.class)).isEqualTo(state);
    }

    @Test
    void ignoresUnknownPropertiesForForwardCompatibility() {
        Account read = codec.decode("{\"owner\":\"bob\",\"balance\":7,\"tags\":[],\"addedLater\":true}"
                .getBytes(StandardCharsets.UTF_8), Account.class);
        assertThat(read.owner()).isEqualTo("bob");
    }

    @Test
    void reportsMalformedAndMistypedPayloads() {
        assertThatThrownBy(() -> codec.decode("{not json".getBytes(StandardCharsets.UTF_8), Account.class))
                .isInstanceOf(CodecException.class).hasMessageContaining(Account.class.getName());
        assertThatThrownBy(() -> codec.decode("{\"owner\":\"x\",\"balance\":\"lots\"}".getBytes(StandardCharsets.UTF_8),
                Account.class)).isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> codec.decode("{\"owner\":\"x\",\"balance\":null}".getBytes(StandardCharsets.UTF_8),
                Account.class)).isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> codec.decode("null".getBytes(StandardCharsets.UTF_8), Account.class))
                .isInstanceOf(CodecException.class);
    }

    record Scheduled(OffsetDateTime at, ZonedDateTime local, Duration lasting) {
    }

    @Test
    void timeValuesKeepTheirOffsetZoneAndIsoFormThroughARoundTrip() {
        Scheduled value = new Scheduled(OffsetDateTime.parse("2026-01-01T10:00:00+02:00"),
                ZonedDateTime.parse("2026-07-01T10:00:00+02:00[Europe/Paris]"), Duration.ofMillis(1500));
        byte[] json = codec.encode(value);
        Scheduled back = codec.decode(json, Scheduled.class);
        assertThat(back).isEqualTo(value);
        assertThat(codec.encode(back)).as("encode, decode, encode gives the same bytes").isEqualTo(json);
        assertThat(new String(json, StandardCharsets.UTF_8)).contains("\"PT1.5S\"");
        Scheduled utc = new Scheduled(OffsetDateTime.parse("2026-01-01T10:00:00Z"),
                ZonedDateTime.parse("2026-01-01T10:00:00Z"), Duration.ZERO);
        assertThat(codec.decode(codec.encode(utc), Scheduled.class)).isEqualTo(utc);
        Scheduled offsetZone = new Scheduled(OffsetDateTime.parse("2026-01-01T10:00:00-05:30"),
                ZonedDateTime.parse("2026-01-01T10:00:00-05:30"), Duration.ofDays(400));
        assertThat(codec.decode(codec.encode(offsetZone), Scheduled.class)).isEqualTo(offsetZone);
    }

    @Test
    void refusesAFractionForAnIntegerAndContentAfterTheValue() {
        assertThatThrownBy(() -> codec.decode("{\"owner\":\"x\",\"balance\":1.9,\"tags\":[]}"
                .getBytes(StandardCharsets.UTF_8), Account.class))
                .as("1.9 is not a long: truncating it to 1 would change the fact").isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> codec.decode("{\"owner\":\"x\",\"balance\":1,\"tags\":[]}{\"balance\":2}"
                .getBytes(StandardCharsets.UTF_8), Account.class))
                .as("a second value after the first is a corrupt payload").isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> codec.decode("{\"owner\":\"x\",\"balance\":1,\"tags\":[]} trailing"
                .getBytes(StandardCharsets.UTF_8), Account.class)).isInstanceOf(CodecException.class);
        assertThat(codec.decode("{\"owner\":\"x\",\"balance\":1,\"tags\":[]}\n".getBytes(StandardCharsets.UTF_8),
                Account.class).balance()).as("whitespace after the value is fine").isEqualTo(1);
    }

    record Numbers(long count, int small, Long boxed, java.math.BigInteger big, List<Long> many) {
    }

    /**
     * Stored payloads from before the fraction check (or from other JSON writers, such as Python's,
     * which writes 1.0 for a float that holds a whole number) carry whole numbers in a float form.
     * Decoding them loses nothing, so they must still decode: only a real fraction is refused.
     */
    @Test
    void aWholeNumberInFloatFormStillDecodesForAnIntegerField() {
        Numbers n = codec.decode(("{\"count\":1.0,\"small\":2.00,\"boxed\":3e2,\"big\":1.0E20,\"many\":[4.0,5]}")
                .getBytes(StandardCharsets.UTF_8), Numbers.class);
        assertThat(n).isEqualTo(new Numbers(1, 2, 300L, new java.math.BigInteger("100000000000000000000"), List.of(4L, 5L)));
        assertThatThrownBy(() -> codec.decode("{\"count\":1.5}".getBytes(StandardCharsets.UTF_8), Numbers.class))
                .isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> codec.decode("{\"small\":3.0e9}".getBytes(StandardCharsets.UTF_8), Numbers.class))
                .as("out of the int range").isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> codec.decode("{\"many\":[1.25]}".getBytes(StandardCharsets.UTF_8), Numbers.class))
                .isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> codec.decode("{\"count\":1e100000000}".getBytes(StandardCharsets.UTF_8), Numbers.class))
                .as("a huge exponent is refused, not expanded").isInstanceOf(CodecException.class);
        assertThatThrownBy(() -> codec.decode("{\"small\":null}".getBytes(StandardCharsets.UTF_8), Numbers.class))
                .as("null for a primitive is still refused").isInstanceOf(CodecException.class);
    }

    record Annotated(
            @com.fasterxml.jackson.annotation.JsonSetter(contentNulls = com.fasterxml.jackson.annotation.Nulls.SKIP)
            long[] ids,
            @com.fasterxml.jackson.annotation.JsonFormat(
                    with = com.fasterxml.jackson.annotation.JsonFormat.Feature.ACCEPT_SINGLE_VALUE_AS_ARRAY)
            int[] counts,
            @com.fasterxml.jackson.annotation.JsonSetter(nulls = com.fasterxml.jackson.annotation.Nulls.AS_EMPTY)
            short[] small) {
    }

    /** The codec's settings leave what per-property settings of primitive arrays do as Jackson has it. */
    @Test
    void primitiveArraysKeepTheirPerPropertySettings() {
        Annotated a = codec.decode("{\"ids\":[1,null,2],\"counts\":7,\"small\":null}"
                .getBytes(StandardCharsets.UTF_8), Annotated.class);
        assertThat(a.ids()).as("contentNulls = SKIP").containsExactly(1L, 2L);
        assertThat(a.counts()).as("a single value as an array").containsExactly(7);
        assertThat(a.small()).as("nulls = AS_EMPTY").isNotNull().isEmpty();
        Merged m = codec.decode("{\"ids\":[1,2]}".getBytes(StandardCharsets.UTF_8), Merged.class);
        assertThat(m.ids).as("@JsonMerge appends").containsExactly(9L, 1L, 2L);
    }

    static final class Merged {
        @com.fasterxml.jackson.annotation.JsonMerge
        public long[] ids = {9};
    }
}
