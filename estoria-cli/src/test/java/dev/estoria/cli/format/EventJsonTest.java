package dev.estoria.cli.format;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.Event;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class EventJsonTest {

    static final String ID = "noted_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a";
    static final String STREAM = "note_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7b";

    static Event event(String data, String contentType) {
        return new Event(TypeId.parse(ID), TypeId.parse(STREAM), 3, OptionalLong.of(9),
                Instant.parse("2026-01-02T03:04:05.123456Z"), data.getBytes(StandardCharsets.UTF_8), contentType,
                Map.of("b", "2", "a", "1"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"{}", "{\"a\": [1, {\"b\": null}]}", "[]", "\"text with \\\" and \\\\ and }\"",
        "\"\"", "0", "-12.5e3", "true", "false", "null", "\"é \\u00e9 \\n\""})
    void inlineJsonComesBackByteForByteWhereverTheFieldStands(String json) {
        String line = EventJson.write(event(json, "application/json"));
        assertThat(line).contains("\"data\":" + json);
        assertThat(new String(EventJson.read(line).data(), StandardCharsets.UTF_8)).isEqualTo(json);

        String dataFirst = "{\"data\":" + json + " , \"id\":\"" + ID + "\",\"streamId\":\"" + STREAM + "\"}";
        assertThat(new String(EventJson.read(dataFirst).data(), StandardCharsets.UTF_8)).isEqualTo(json);
        String dataLast = "{\"id\":\"" + ID + "\",\"streamId\":\"" + STREAM + "\",\"data\":" + json + "}";
        assertThat(new String(EventJson.read(dataLast).data(), StandardCharsets.UTF_8)).isEqualTo(json);
    }

    @Test
    void aPayloadNestedAsDeepAsJsonDataMayBeReadsBackFromItsLine() {
        // The deepest payload the command line accepts as JSON data; in a line it sits one level deeper.
        String deepest = "[".repeat(1000) + "]".repeat(1000);
        Json.parse(deepest);
        assertThatThrownBy(() -> Json.parse("[" + deepest + "]")).isInstanceOf(IllegalArgumentException.class);

        String line = EventJson.write(event(deepest, "application/json"));
        assertThat(line).contains("\"data\":" + deepest);
        assertThat(new String(EventJson.read(line).data(), StandardCharsets.UTF_8)).isEqualTo(deepest);
    }

    @Test
    void numbersOfAnyLengthAreJsonAndJsonPastTheNestingLimitIsNotCalledMalformed() {
        String longNumber = "[1" + "0".repeat(1_001) + ", 0." + "5".repeat(2_000) + "]";
        assertThat(Json.compact(Json.parse(longNumber))).isEqualTo(longNumber.replace(" ", ""));
        String line = "{\"id\":\"" + ID + "\",\"type\":\"noted\",\"streamId\":\"" + STREAM + "\",\"data\":" + longNumber + "}";
        assertThat(EventJson.read(line).data()).isEqualTo(longNumber.getBytes(StandardCharsets.UTF_8));

        String tooDeep = "[".repeat(1_001) + "]".repeat(1_001);
        assertThatThrownBy(() -> Json.parse(tooDeep)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("JSON beyond what this tool reads").hasMessageContaining("1000")
                .hasMessageNotContaining("StreamReadConstraints");
        assertThatThrownBy(() -> EventJson.read("{\"data\":[" + tooDeep + "]}"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("JSON beyond what this tool reads");
    }

    @Test
    void writesEveryFieldInOrder() {
        assertThat(EventJson.write(event("{\"x\":1}", "application/json; charset=utf-8"))).isEqualTo(
                "{\"id\":\"" + ID + "\",\"type\":\"noted\",\"streamId\":\"" + STREAM + "\",\"streamVersion\":3,"
                        + "\"globalPosition\":9,\"timestamp\":\"2026-01-02T03:04:05.123456Z\","
                        + "\"contentType\":\"application/json; charset=utf-8\",\"metadata\":{\"a\":\"1\",\"b\":\"2\"},"
                        + "\"data\":{\"x\":1}}");
    }

    @Test
    void payloadsThatCannotBeInlineExactlyCarryBase64() {
        String pretty = EventJson.write(event("{\n \"x\": 1\n}", "application/json"));
        assertThat(pretty).endsWith("\"data\":{\"x\":1},\"dataBase64\":\"ewogIngiOiAxCn0=\"}");
        assertThat(EventJson.read(pretty).data()).isEqualTo("{\n \"x\": 1\n}".getBytes(StandardCharsets.UTF_8));

        assertThat(EventJson.write(event(" 1", "application/json"))).endsWith("\"data\":1,\"dataBase64\":\"IDE=\"}");
        assertThat(EventJson.write(event("{\"x\":1}", "text/plain"))).endsWith("\"dataBase64\":\"eyJ4IjoxfQ==\"}");
        assertThat(EventJson.write(event("", "application/json"))).endsWith("\"dataBase64\":\"\"}");
    }

    @Test
    void inlineDataIsJsonTextUnderAJsonContentTypeOrNone() {
        for (String contentType : new String[] {"application/json", "application/vnd.bank+json; v=2", ""}) {
            ExportedEvent event = EventJson.read("{\"id\":\"" + ID + "\",\"streamId\":\"" + STREAM + "\",\"contentType\":\""
                    + contentType + "\",\"data\":{\"a\": 1}}");
            assertThat(new String(event.data(), java.nio.charset.StandardCharsets.UTF_8)).as(contentType)
                    .isEqualTo("{\"a\": 1}");
        }
    }

    @Test
    void readsWhatImportNeeds() {
        ExportedEvent event = EventJson.read(EventJson.write(event("{\"x\":1}", "application/json")));

        assertThat(event.id()).isEqualTo(TypeId.parse(ID));
        assertThat(event.streamId()).isEqualTo(TypeId.parse(STREAM));
        assertThat(event.contentType()).isEqualTo("application/json");
        assertThat(event.metadata()).isEqualTo(Map.of("a", "1", "b", "2"));
        assertThat(event.toWritable().eventId()).contains(TypeId.parse(ID).uuid());
        assertThat(event.toWritable().type()).isEqualTo("noted");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "[]|expected a JSON object",
        "{\"streamId\":\"" + STREAM + "\",\"data\":1}|missing field \"id\"",
        "{\"id\":\"" + ID + "\",\"data\":1}|missing field \"streamId\"",
        "{\"id\":\"" + ID + "\",\"streamId\":\"" + STREAM + "\"}|missing field \"data\" or \"dataBase64\"",
        "{\"id\":\"" + ID + "\",\"streamId\":\"" + STREAM + "\",\"dataBase64\":\"***\"}|field \"dataBase64\" is not valid base64",
        "{\"id\":\"" + ID + "\",\"type\":\"other\",\"streamId\":\"" + STREAM + "\",\"data\":1}|field \"type\" is \"other\"",
        "{\"id\":\"" + ID + "\",\"streamId\":\"" + STREAM + "\",\"data\":1,\"metadata\":{\"k\":1}}|metadata value of \"k\"",
        "{\"id\":\"" + ID + "\",\"streamId\":\"" + STREAM + "\",\"data\":1} x|malformed JSON",
        "{\"id\":\"" + ID + "\",\"streamId\":\"" + STREAM + "\",\"data\":1} {}|unexpected text after the JSON object",
        "{\"id\":7,\"streamId\":\"" + STREAM + "\",\"data\":1}|field \"id\" must be a string",
        "{\"id\":\"x\",\"streamId\":\"" + STREAM + "\",\"data\":1}|invalid TypeId \"x\"",
        "{\"id\":\"" + ID + "\",\"streamId\":\"" + STREAM + "\",\"data\":1,\"streamId\":\"" + STREAM + "\"}|field \"streamId\" appears twice",
        "{\"id\":\"" + ID + "\",\"streamId\":\"" + STREAM + "\",\"contentType\":\"text/plain\",\"data\":\"hi\"}|field \"data\" holds the payload as JSON, but the content type is \"text/plain\"",
    })
    void refusesBadLinesWithAClearReason(String caseLine) {
        String[] parts = caseLine.split("\\|");
        assertThatThrownBy(() -> EventJson.read(parts[0]))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith(parts[1]);
    }

    @Test
    void numbersBeyondWhatBigDecimalHoldsAreJsonAndKeptAsWritten() {
        String json = "{\"a\":1e9999999999,\"b\":-0.0E-9999999999,\"c\":1.0}";
        String line = EventJson.write(event(json, "application/json"));
        assertThat(line).endsWith("\"data\":" + json + "}");
        assertThat(EventJson.read(line).data()).isEqualTo(json.getBytes(StandardCharsets.UTF_8));

        String pretty = "{\n  \"a\": 1e9999999999,\n  \"c\": 1.0\n}\n";
        String prettyLine = EventJson.write(event(pretty, "application/json"));
        assertThat(prettyLine).contains("\"data\":{\"a\":1e9999999999,\"c\":1.0},\"dataBase64\":");
        assertThat(EventJson.read(prettyLine).data()).isEqualTo(pretty.getBytes(StandardCharsets.UTF_8));
        assertThat(EventTable.preview(pretty.getBytes(StandardCharsets.UTF_8), "application/json"))
                .isEqualTo("{\"a\":1e9999999999,\"c\":1.0}");
    }

    @Test
    void aNumberOfTwoMillionDigitsIsWrittenInLinearTime() {
        String digits = "7".repeat(2_000_000);
        String pretty = "{\n \"n\": " + digits + "\n}";

        String line = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(java.time.Duration.ofSeconds(20),
                () -> EventJson.write(event(pretty, "application/json")));

        assertThat(line).contains("\"data\":{\"n\":" + digits + "},\"dataBase64\":");
    }
}
