package dev.estoria.bench;

import dev.estoria.eventstore.WritableEvent;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The events every benchmark writes: about 100 bytes of JSON, content type {@code application/json},
 * one metadata entry. Estoria and the baselines store the same bytes.
 */
final class Payloads {

    static final String STREAM_TYPE = "benchstream";
    static final String EVENT_TYPE = "bench_event";
    static final String CONTENT_TYPE = WritableEvent.JSON;
    static final Map<String, String> METADATA = Map.of("source", "bench");

    private static final byte[] DATA = ("{\"account\":\"0123456789abcdef\",\"amount\":12345,\"currency\":\"EUR\","
            + "\"note\":\"benchmark payload of about one hundred bytes\"}").getBytes(StandardCharsets.UTF_8);

    private Payloads() {
    }

    /** The payload bytes (shared; never modified). */
    static byte[] data() {
        return DATA;
    }

    /** {@code n} writable events with fresh IDs chosen by the store. */
    static List<WritableEvent> batch(int n) {
        List<WritableEvent> events = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            events.add(new WritableEvent(EVENT_TYPE, DATA, CONTENT_TYPE, METADATA, java.util.Optional.empty()));
        }
        return events;
    }
}
