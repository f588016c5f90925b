package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class EncodingTest {

    @Test
    @DisplayName("metadata round-trips, including empty strings, separators, NUL and non-BMP characters")
    void metadataRoundTrips() {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put("", "empty key");
        metadata.put("empty value", "");
        metadata.put("k=v;x", "a\nb\r\tc\"d\\e");
        metadata.put("nul\0key", "nul\0value");
        metadata.put("emoji \uD83D\uDE00", "\u00e9t\u00e9 \u4e2d\u6587 \uD834\uDD1E");
        metadata.put("long", "x".repeat(100_000));
        byte[] encoded = Encoding.encodeMetadata(metadata);
        assertThat(Encoding.decodeMetadata(encoded)).isEqualTo(metadata);
        assertThat(Encoding.encodeMetadata(Map.of())).isEmpty();
        assertThat(Encoding.decodeMetadata(new byte[0])).isEmpty();
    }

    @Test
    @DisplayName("equal maps encode to equal bytes whatever their iteration order")
    void deterministic() {
        Map<String, String> a = new LinkedHashMap<>();
        a.put("b", "2");
        a.put("a", "1");
        assertThat(Encoding.encodeMetadata(a)).isEqualTo(Encoding.encodeMetadata(new TreeMap<>(a)));
        ByteBuffer expected = ByteBuffer.allocate(4 * 5 - 4 + 4);
        expected.putInt(1).put((byte) 'a').putInt(1).put((byte) '1').putInt(1).put((byte) 'b').putInt(1).put((byte) '2');
        assertThat(Encoding.encodeMetadata(a)).isEqualTo(expected.array());
    }

    @Test
    @DisplayName("damaged metadata bytes are refused, not misread")
    void damagedMetadataRefused() {
        byte[] good = Encoding.encodeMetadata(Map.of("key", "value"));
        byte[] truncated = java.util.Arrays.copyOf(good, good.length - 1);
        assertThatThrownBy(() -> Encoding.decodeMetadata(truncated))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("length");
        byte[] shortLength = {0, 0};
        assertThatThrownBy(() -> Encoding.decodeMetadata(shortLength))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("truncated");
        ByteBuffer invalidUtf8 = ByteBuffer.allocate(4 + 1 + 4 + 1);
        invalidUtf8.putInt(1).put((byte) 0xC3).putInt(1).put((byte) 'v');
        assertThatThrownBy(() -> Encoding.decodeMetadata(invalidUtf8.array()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("UTF-8");
        ByteBuffer repeated = ByteBuffer.allocate(4 * 10);
        for (int i = 0; i < 2; i++) {
            repeated.putInt(1).put((byte) 'k').putInt(1).put((byte) 'v');
        }
        byte[] twice = java.util.Arrays.copyOf(repeated.array(), repeated.position());
        assertThatThrownBy(() -> Encoding.decodeMetadata(twice))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("repeated");
    }

    @Test
    @DisplayName("timestamps keep microseconds, before and after the epoch")
    void timestamps() {
        for (Instant instant : new Instant[] {
                Instant.parse("2026-11-27T20:45:47.123456789Z"),
                Instant.parse("1969-12-31T23:59:59.999999Z"),
                Instant.EPOCH,
                Instant.parse("1900-01-01T00:00:00.000001Z")}) {
            Instant truncated = Encoding.truncate(instant);
            assertThat(truncated.getNano() % 1000).isZero();
            assertThat(Encoding.fromMicros(Encoding.toMicros(instant))).isEqualTo(truncated);
        }
        assertThat(Encoding.toMicros(Instant.parse("1970-01-01T00:00:01.000002Z"))).isEqualTo(1_000_002L);
    }

    @Test
    @DisplayName("strings with unpaired surrogates are recognised as not storable as UTF-8")
    void wellFormed() {
        assertThat(Encoding.wellFormedProblem("plain \uD83D\uDE00 text")).isNull();
        assertThat(Encoding.wellFormedProblem("")).isNull();
        assertThat(Encoding.wellFormedProblem("bad \uD83D")).contains("unpaired high surrogate");
        assertThat(Encoding.wellFormedProblem("\uDE00 bad")).contains("unpaired low surrogate");
        assertThat(Encoding.wellFormedProblem("\uD83D\uD83D\uDE00")).contains("index 0");
        assertThat("ok".getBytes(StandardCharsets.UTF_8)).hasSize(2);
    }
}
