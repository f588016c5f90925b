package dev.estoria.eventstore;

import java.util.Map;

/** Copies of event metadata, shared by {@link Event} and {@link WritableEvent}. */
final class MetadataMaps {

    private MetadataMaps() {
    }

    /**
     * An unmodifiable copy of {@code metadata}.
     *
     * @throws NullPointerException naming the key, if a key or value is null
     */
    static Map<String, String> copy(Map<String, String> metadata) {
        for (Map.Entry<String, String> e : metadata.entrySet()) {
            if (e.getKey() == null) {
                throw new NullPointerException("metadata key must not be null");
            }
            if (e.getValue() == null) {
                throw new NullPointerException("metadata value for key \"" + e.getKey() + "\" must not be null");
            }
        }
        return Map.copyOf(metadata);
    }
}
