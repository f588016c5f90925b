package dev.estoria.jackson;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.codec.CodecException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
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
}
