package dev.estoria.cli.format;

import java.util.Optional;

/**
 * How an event's payload is shown in the event line format.
 *
 * <ul>
 *   <li>{@link Verbatim}: the payload is one JSON value on one line, declared as JSON; its exact text
 *       goes inline as {@code data}.
 *   <li>{@link Reformatted}: the payload is valid JSON declared as JSON, but its exact bytes cannot
 *       stand inline on one line (line breaks, surrounding whitespace); a compact rendering goes in
 *       {@code data} for reading and the exact bytes in {@code dataBase64}.
 *   <li>{@link Opaque}: anything else; only {@code dataBase64}.
 * </ul>
 */
sealed interface Payload {

    /** @param json the payload's exact text */
    record Verbatim(String json) implements Payload {}

    /** @param compact the payload on one line without spaces (numbers as written), for display */
    record Reformatted(String compact) implements Payload {}

    /** Not JSON, or not declared as JSON. */
    record Opaque() implements Payload {}

    /** Classifies a payload by its declared content type and its bytes. */
    static Payload of(byte[] data, String contentType) {
        if (!Json.isJsonContentType(contentType)) {
            return new Opaque();
        }
        Optional<String> text = Json.utf8(data);
        if (text.isEmpty()) {
            return new Opaque();
        }
        String json = text.get();
        boolean oneLine = json.indexOf('\n') < 0 && json.indexOf('\r') < 0;
        boolean trimmed = json.strip().length() == json.length() && !json.startsWith("\uFEFF");
        // Read as a stream of tokens, not a tree: numbers stay text, so any valid number passes, fast.
        try {
            if (oneLine && trimmed) {
                Json.validate(json);
                return new Verbatim(json);
            }
            return new Reformatted(Json.compact(json));
        } catch (IllegalArgumentException e) {
            return new Opaque();
        }
    }
}
