package dev.estoria.cli.format;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.typeid.TypeId;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * The event line format: one JSON object per event, on one line (NDJSON). Reading commands print it,
 * {@code export} writes it and {@code import} reads it back.
 *
 * <p>Fields, in this order: {@code id} ({@code type_uuid}; its type is the event type), {@code type}
 * (the event type again, for filtering), {@code streamId}, {@code streamVersion}, {@code
 * globalPosition} (null when the store keeps no global order), {@code timestamp} (RFC 3339, UTC),
 * {@code contentType}, {@code metadata} (an object of strings, keys sorted), then the payload:
 *
 * <ul>
 *   <li>{@code data}: the payload inline, when it is JSON declared as {@code application/json}. When
 *       its exact bytes fit on one line it is the payload's text, byte for byte.
 *   <li>{@code dataBase64}: the exact bytes, base64, when the payload is not JSON, is not declared as
 *       JSON, or cannot be shown byte for byte on one line (then {@code data} carries a compact
 *       rendering for reading, and {@code dataBase64} is what counts).
 * </ul>
 *
 * <p>Reading a line back ({@link #read}) yields everything needed to append the event again exactly:
 * its ID, stream, content type, metadata and payload bytes. Versions, positions and timestamps are
 * assigned by the store that receives it, so they are not read.
 */
public final class EventJson {

    private EventJson() {}

    /** Renders an event as one line of JSON, without the line break. */
    public static String write(Event event) {
        StringWriter buffer = new StringWriter(256 + event.dataLength() * 2);
        try (JsonGenerator json = Json.FACTORY.createGenerator(buffer)) {
            json.writeStartObject();
            json.writeStringField("id", event.id().toString());
            json.writeStringField("type", event.type());
            json.writeStringField("streamId", event.streamId().toString());
            json.writeNumberField("streamVersion", event.streamVersion());
            if (event.globalPosition().isPresent()) {
                json.writeNumberField("globalPosition", event.globalPosition().getAsLong());
            } else {
                json.writeNullField("globalPosition");
            }
            json.writeStringField("timestamp", event.timestamp().toString());
            json.writeStringField("contentType", event.contentType());
            json.writeObjectFieldStart("metadata");
            for (Map.Entry<String, String> entry : new TreeMap<>(event.metadata()).entrySet()) {
                json.writeStringField(entry.getKey(), entry.getValue());
            }
            json.writeEndObject();
            byte[] data = event.data();
            switch (Payload.of(data, event.contentType())) {
                case Payload.Verbatim verbatim -> {
                    json.writeFieldName("data");
                    json.writeRawValue(verbatim.json());
                }
                case Payload.Reformatted reformatted -> {
                    json.writeFieldName("data");
                    json.writeRawValue(reformatted.compact());
                    json.writeStringField("dataBase64", Base64.getEncoder().encodeToString(data));
                }
                case Payload.Opaque opaque ->
                    json.writeStringField("dataBase64", Base64.getEncoder().encodeToString(data));
            }
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render event " + event.id(), e);
        }
        return buffer.toString();
    }

    /** Renders a stream and its version as one line of JSON: {@code {"streamId":...,"version":...}}. */
    public static String write(StreamInfo stream) {
        StringWriter buffer = new StringWriter(96);
        try (JsonGenerator json = Json.FACTORY.createGenerator(buffer)) {
            json.writeStartObject();
            json.writeStringField("streamId", stream.streamId().toString());
            json.writeNumberField("version", stream.version());
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render stream " + stream.streamId(), e);
        }
        return buffer.toString();
    }

    /**
     * Reads one event line back.
     *
     * <p>Requires {@code id}, {@code streamId} and one of {@code data} and {@code dataBase64} ({@code
     * dataBase64} wins when both are present). {@code contentType} defaults to empty and {@code
     * metadata} to none; {@code type}, when present, must match the type of {@code id}. The payload
     * of an inline {@code data} is its exact text in the line, so it is refused with a content type
     * other than JSON ({@code application/json} or a {@code +json} type) or none. A field given twice is
     * refused. Other fields are ignored.
     *
     * @throws IllegalArgumentException with a one-line description, if the line is not such an object
     */
    public static ExportedEvent read(String line) {
        String id = null;
        String type = null;
        String streamId = null;
        String contentType = "";
        Map<String, String> metadata = Map.of();
        String inlineData = null;
        String base64 = null;
        try (JsonParser parser = Json.LINE_FACTORY.createParser(line)) {
            if (parser.nextToken() != JsonToken.START_OBJECT) {
                throw new IllegalArgumentException("expected a JSON object");
            }
            Set<String> seen = new HashSet<>();
            while (parser.nextToken() == JsonToken.FIELD_NAME) {
                String field = parser.currentName();
                if (!seen.add(field)) {
                    // JSON parsers disagree on which one counts; an export never repeats one.
                    throw new IllegalArgumentException("field \"" + field + "\" appears twice");
                }
                JsonToken value = parser.nextToken();
                switch (field) {
                    case "id" -> id = string(parser, field);
                    case "type" -> type = string(parser, field);
                    case "streamId" -> streamId = string(parser, field);
                    case "contentType" -> contentType = string(parser, field);
                    case "dataBase64" -> base64 = string(parser, field);
                    case "metadata" -> metadata = metadata(parser);
                    case "data" -> inlineData = rawValue(parser, line);
                    default -> {
                        if (value.isStructStart()) {
                            parser.skipChildren();
                        }
                    }
                }
            }
            if (parser.currentToken() != JsonToken.END_OBJECT) {
                throw new IllegalArgumentException("expected a JSON object");
            }
            if (parser.nextToken() != null) {
                throw new IllegalArgumentException("unexpected text after the JSON object");
            }
        } catch (StreamConstraintsException e) {
            throw new IllegalArgumentException("JSON beyond what this tool reads: " + Json.describe(e), e);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("malformed JSON: " + Json.describe(e), e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        if (id == null) {
            throw new IllegalArgumentException("missing field \"id\"");
        }
        if (streamId == null) {
            throw new IllegalArgumentException("missing field \"streamId\"");
        }
        TypeId eventId = TypeId.parse(id);
        if (type != null && !type.equals(eventId.type())) {
            throw new IllegalArgumentException(
                    "field \"type\" is \"" + type + "\" but the id's type is \"" + eventId.type() + "\"");
        }
        byte[] data;
        if (base64 != null) {
            try {
                data = Base64.getDecoder().decode(base64);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("field \"dataBase64\" is not valid base64: " + e.getMessage(), e);
            }
        } else if (inlineData != null) {
            if (!contentType.isEmpty() && !Json.isJsonContentType(contentType) && !Json.isJsonSuffixedContentType(contentType)) {
                // Its bytes would be the JSON text, quotes and escapes included: "hi" as "\"hi\"".
                throw new IllegalArgumentException("field \"data\" holds the payload as JSON, but the content type is \""
                        + contentType + "\"; give the payload's bytes as \"dataBase64\"");
            }
            data = inlineData.getBytes(StandardCharsets.UTF_8);
        } else {
            throw new IllegalArgumentException("missing field \"data\" or \"dataBase64\"");
        }
        return new ExportedEvent(eventId, TypeId.parse(streamId), data, contentType, metadata);
    }

    private static String string(JsonParser parser, String field) throws IOException {
        if (parser.currentToken() != JsonToken.VALUE_STRING) {
            throw new IllegalArgumentException("field \"" + field + "\" must be a string");
        }
        return parser.getText();
    }

    private static Map<String, String> metadata(JsonParser parser) throws IOException {
        if (parser.currentToken() == JsonToken.VALUE_NULL) {
            return Map.of();
        }
        if (parser.currentToken() != JsonToken.START_OBJECT) {
            throw new IllegalArgumentException("field \"metadata\" must be an object of strings");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        while (parser.nextToken() == JsonToken.FIELD_NAME) {
            String key = parser.currentName();
            if (parser.nextToken() != JsonToken.VALUE_STRING) {
                throw new IllegalArgumentException("metadata value of \"" + key + "\" must be a string");
            }
            metadata.put(key, parser.getText());
        }
        return metadata;
    }

    /** The exact text of the value the parser is on, taken from the line by character offsets. */
    private static String rawValue(JsonParser parser, String line) throws IOException {
        int start = (int) parser.currentTokenLocation().getCharOffset();
        if (parser.currentToken().isStructStart()) {
            parser.skipChildren();
        } else {
            // Strings are decoded lazily; finish this one so the parser stands right after it.
            parser.getText();
        }
        int end = (int) parser.currentLocation().getCharOffset();
        return line.substring(start, end);
    }
}
