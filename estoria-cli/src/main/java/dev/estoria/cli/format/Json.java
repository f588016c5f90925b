package dev.estoria.cli.format;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Optional;

/**
 * JSON helpers shared by the commands: strict validation, compact rendering and strict UTF-8
 * decoding. Thread-safe.
 */
public final class Json {

    /** The content type the command line gives JSON data unless told otherwise. */
    public static final String CONTENT_TYPE = "application/json";

    // Payloads and import lines may be large: lift the default limits on string and number length
    // (a number of more than 1,000 digits is valid JSON). The nesting depth keeps its limit, which
    // guards the recursive parts of reading and writing trees.
    static final JsonFactory FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE)
                    .maxNumberLength(Integer.MAX_VALUE).build())
            .build();

    // An event line holds its payload one level down, so it may nest one level deeper than a payload:
    // every payload this tool writes inline must read back.
    static final JsonFactory LINE_FACTORY = JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxStringLength(Integer.MAX_VALUE)
                    .maxNumberLength(Integer.MAX_VALUE)
                    .maxNestingDepth(FACTORY.streamReadConstraints().getMaxNestingDepth() + 1).build())
            .build();

    static final ObjectMapper MAPPER = JsonMapper.builder(FACTORY)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES)
            .build();

    private Json() {}

    /** A generator writing one compact JSON value to {@code out}; close it to finish the value. */
    public static JsonGenerator generator(Writer out) throws IOException {
        return FACTORY.createGenerator(out);
    }

    /**
     * Whether {@code contentType} declares JSON: {@code application/json}, in any letter case, with or
     * without parameters such as a charset.
     */
    public static boolean isJsonContentType(String contentType) {
        return essence(contentType).equalsIgnoreCase(CONTENT_TYPE);
    }

    /** Whether {@code contentType} is a JSON-based one, such as {@code application/vnd.bank+json}. */
    public static boolean isJsonSuffixedContentType(String contentType) {
        return essence(contentType).toLowerCase(java.util.Locale.ROOT).endsWith("+json");
    }

    /** The content type without its parameters (such as {@code ; charset=utf-8}) and blanks around it. */
    private static String essence(String contentType) {
        int semicolon = contentType.indexOf(';');
        return (semicolon < 0 ? contentType : contentType.substring(0, semicolon)).strip();
    }

    /**
     * Parses {@code text} as exactly one JSON value.
     *
     * @throws IllegalArgumentException with a one-line description of the first problem, if the text
     *     is empty, malformed or holds more than one value
     */
    public static JsonNode parse(String text) {
        try {
            JsonNode node = MAPPER.readTree(text);
            if (node == null || node.isMissingNode()) {
                throw new IllegalArgumentException("malformed JSON: no value");
            }
            return node;
        } catch (StreamConstraintsException e) {
            // Well-formed, but past a limit of the reader: "malformed" would mislead.
            throw new IllegalArgumentException("JSON beyond what this tool reads: " + describe(e), e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + describe(e), e);
        }
    }

    /**
     * Checks that {@code text} is exactly one JSON value, without building it: numbers are checked
     * for their form only, so a valid number of any length or exponent (such as {@code 1e9999999999},
     * which no {@code BigDecimal} holds) passes, in time linear in its length.
     *
     * @throws IllegalArgumentException as {@link #parse} does
     */
    public static void validate(String text) {
        scan(text, null);
    }

    /**
     * Renders {@code text}, one JSON value, on one line without spaces. Numbers keep their exact
     * text; strings and names are re-escaped as the generator does.
     *
     * @throws IllegalArgumentException as {@link #parse} does
     */
    public static String compact(String text) {
        StringWriter out = new StringWriter(text.length());
        try (JsonGenerator copy = FACTORY.createGenerator(out)) {
            scan(text, copy);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out.toString();
    }

    /** Reads {@code text} token by token, as one JSON value; copies the tokens to {@code copy} if given. */
    private static void scan(String text, JsonGenerator copy) {
        try (JsonParser parser = FACTORY.createParser(text)) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                throw new IllegalArgumentException("malformed JSON: no value");
            }
            int depth = 0;
            while (true) {
                if (copy != null) {
                    if (token == JsonToken.VALUE_NUMBER_INT || token == JsonToken.VALUE_NUMBER_FLOAT) {
                        copy.writeNumber(parser.getText());
                    } else {
                        copy.copyCurrentEvent(parser);
                    }
                }
                if (token.isStructStart()) {
                    depth++;
                } else if (token.isStructEnd()) {
                    depth--;
                }
                if (depth == 0) {
                    break;
                }
                token = parser.nextToken();
                if (token == null) {
                    throw new IllegalArgumentException("malformed JSON: unexpected end of input");
                }
            }
            JsonToken trailing = parser.nextToken();
            if (trailing != null) {
                throw new IllegalArgumentException("malformed JSON: trailing token (of type " + trailing
                        + ") after the value (at character " + parser.currentTokenLocation().getColumnNr() + ")");
            }
        } catch (StreamConstraintsException e) {
            throw new IllegalArgumentException("JSON beyond what this tool reads: " + describe(e), e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + describe(e), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Renders a JSON tree on one line without spaces. */
    public static String compact(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot render a parsed JSON tree", e);
        }
    }

    /** Decodes strict UTF-8: empty when the bytes are not valid UTF-8. */
    public static Optional<String> utf8(byte[] bytes) {
        try {
            return Optional.of(StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString());
        } catch (CharacterCodingException e) {
            return Optional.empty();
        }
    }

    /** Jackson's message without its source excerpt, on one line, with the position of the problem. */
    static String describe(JsonProcessingException e) {
        // Without Jackson's pointer to its own settings, such as "from `StreamReadConstraints...`".
        String message = e.getOriginalMessage().replaceAll("\\s*\\R\\s*", " ").replaceAll(",? from `[^`]*`", "").strip();
        if (e.getLocation() != null && e.getLocation().getColumnNr() > 0) {
            message += " (at character " + e.getLocation().getColumnNr() + ")";
        }
        return message;
    }
}
