package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class AppendCommandTest {

    static final String STREAM = "account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a";
    static final ObjectMapper JSON = new ObjectMapper();

    final CliHarness cli = new CliHarness();

    static JsonNode json(String line) throws Exception {
        return JSON.readTree(line);
    }

    @Test
    void appendsJsonDataAndPrintsTheStoredEventAsOneJsonLine() throws Exception {
        CliHarness.Result result = cli.run("append", STREAM, "--type", "funds_deposited", "--data", "{\"amount\": 25}",
                "--meta", "channel=mobile", "--meta", "note=a=b");

        assertThat(result.exitCode()).isZero();
        assertThat(result.err()).isEmpty();
        assertThat(result.outLines()).hasSize(1);
        JsonNode line = json(result.outLines().get(0));
        assertThat(line.fieldNames()).toIterable().containsExactly("id", "type", "streamId", "streamVersion",
                "globalPosition", "timestamp", "contentType", "metadata", "data");
        assertThat(line.get("id").asText()).startsWith("funds_deposited_");
        assertThat(line.get("streamId").asText()).isEqualTo(STREAM);
        assertThat(line.get("streamVersion").asLong()).isEqualTo(1);
        assertThat(line.get("globalPosition").asLong()).isEqualTo(1);
        assertThat(line.get("contentType").asText()).isEqualTo("application/json");
        assertThat(line.get("metadata")).isEqualTo(json("{\"channel\":\"mobile\",\"note\":\"a=b\"}"));
        assertThat(line.get("data")).isEqualTo(json("{\"amount\":25}"));
        assertThat(result.outLines().get(0)).contains("\"data\":{\"amount\": 25}");

        Event stored = cli.allEvents().get(0);
        assertThat(new String(stored.data(), StandardCharsets.UTF_8)).isEqualTo("{\"amount\": 25}");
        assertThat(stored.contentType()).isEqualTo(WritableEvent.JSON);
        assertThat(stored.metadata()).containsExactlyInAnyOrderEntriesOf(Map.of("channel", "mobile", "note", "a=b"));
        assertThat(line.get("timestamp").asText()).isEqualTo(stored.timestamp().toString()).endsWith("Z");
    }

    @Test
    void anotherContentTypeKeepsTheBytesAndPrintsThemAsBase64() throws Exception {
        CliHarness.Result result = cli.run("append", STREAM, "--type", "note_added", "--data", "not json",
                "--content-type", "text/plain");

        assertThat(result.exitCode()).isZero();
        JsonNode line = json(result.out());
        assertThat(line.has("data")).isFalse();
        assertThat(line.get("dataBase64").asText()).isEqualTo("bm90IGpzb24=");
        assertThat(line.get("contentType").asText()).isEqualTo("text/plain");
    }

    @Test
    void readsTheDataFromAFileWithoutTheWhitespaceAroundIt(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("event.json");
        Files.writeString(file, "{\n  \"amount\": 10\n}\n");

        CliHarness.Result result = cli.run("append", STREAM, "--type", "funds_deposited", "--data-file", file.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(new String(cli.allEvents().get(0).data(), StandardCharsets.UTF_8)).isEqualTo("{\n  \"amount\": 10\n}");
    }

    @Test
    void aByteOrderMarkBeforeJsonDataIsDropped(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("event.json");
        Files.writeString(file, "\uFEFF{\"amount\": 10}\r\n");

        CliHarness.Result result = cli.run("append", STREAM, "--type", "funds_deposited", "--data-file", file.toString());

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(cli.allEvents().get(0).data()).isEqualTo("{\"amount\": 10}".getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void appendsEveryStdinLineAsOneBatch() throws Exception {
        cli.run("append", "other_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a", "--type", "x", "--data", "{}");

        CliHarness.Result result = cli.runWithStdin("{\"n\":1}\n\n{\"n\":2}\r\n{\"n\":3}\n",
                "append", STREAM, "--type", "counted", "--expect-no-stream");

        assertThat(result.exitCode()).isZero();
        List<Event> events = cli.defaultStore().readStream(TypeId.parse(STREAM),
                dev.estoria.eventstore.ReadStreamOptions.defaults()).toList();
        assertThat(events).extracting(Event::streamVersion).containsExactly(1L, 2L, 3L);
        assertThat(events).extracting(e -> new String(e.data(), StandardCharsets.UTF_8))
                .containsExactly("{\"n\":1}", "{\"n\":2}", "{\"n\":3}");
        // One append: one timestamp, consecutive positions.
        assertThat(events).extracting(Event::timestamp).containsOnly(events.get(0).timestamp());
        assertThat(events).extracting(e -> e.globalPosition().getAsLong()).containsExactly(2L, 3L, 4L);
        assertThat(result.outLines()).hasSize(3);
    }

    @Test
    void aMalformedStdinLineWritesNothing() {
        CliHarness.Result result = cli.runWithStdin("{\"n\":1}\n{\"n\":\n{\"n\":3}\n",
                "append", STREAM, "--type", "counted");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).startsWith("error: stdin line 2: malformed JSON").doesNotContain("\tat ");
        assertThat(result.err().lines()).hasSize(1);
        assertThat(result.out()).isEmpty();
        assertThat(cli.stores).isEmpty();
    }

    @Test
    void newStreamMintsATimeOrderedIdOfTheType() throws Exception {
        CliHarness.Result result = cli.run("append", "--new-stream", "order", "--type", "order_placed", "--data", "{}");

        assertThat(result.exitCode()).isZero();
        TypeId stream = TypeId.parse(json(result.out()).get("streamId").asText());
        assertThat(stream.type()).isEqualTo("order");
        assertThat(stream.uuid().version()).isEqualTo(7);
    }

    @Test
    void anEventIdMakesTheAppendIdempotent() throws Exception {
        String[] args = {"append", STREAM, "--type", "funds_deposited", "--data", "{\"amount\":1}",
            "--event-id", "0190F1C2-5AD4-7B6E-9C3A-2F1E0D9C8B7A"};

        CliHarness.Result first = cli.run(args);
        CliHarness.Result second = cli.run(args);

        assertThat(first.exitCode()).isZero();
        assertThat(second.exitCode()).isZero();
        assertThat(cli.allEvents()).hasSize(1);
        assertThat(json(first.out()).get("id").asText())
                .isEqualTo("funds_deposited_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a");
        assertThat(second.out()).isEqualTo(first.out());
    }

    @Test
    void anEventIdWithSeveralStdinEventsIsRefused() {
        CliHarness.Result result = cli.runWithStdin("{}\n{}\n", "append", STREAM, "--type", "t",
                "--event-id", "0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).startsWith("error: --event-id names one event, but stdin holds 2");
        assertThat(cli.stores).isEmpty();
    }

    @Test
    void aVersionMismatchNamesTheStreamAndBothVersionsAndExitsWith3() {
        cli.run("append", STREAM, "--type", "t", "--data", "{}");
        cli.run("append", STREAM, "--type", "t", "--data", "{}");

        CliHarness.Result result = cli.run("append", STREAM, "--type", "t", "--data", "{}", "--expect-version", "1");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.VERSION_MISMATCH);
        assertThat(result.err()).isEqualTo(
                "error: stream version mismatch on " + STREAM + ": expected version 1, actual version 2\n");
        assertThat(result.out()).isEmpty();
        assertThat(cli.allEvents()).hasSize(2);
    }

    @Test
    void existenceExpectationsAreChecked() {
        CliHarness.Result missing = cli.run("append", STREAM, "--type", "t", "--data", "{}", "--expect-exists");
        cli.run("append", STREAM, "--type", "t", "--data", "{}", "--expect-no-stream");
        CliHarness.Result present = cli.run("append", STREAM, "--type", "t", "--data", "{}", "--expect-no-stream");

        assertThat(missing.exitCode()).isEqualTo(ExitCodes.VERSION_MISMATCH);
        assertThat(missing.err()).contains("expected an existing stream");
        assertThat(present.exitCode()).isEqualTo(ExitCodes.VERSION_MISMATCH);
        assertThat(present.err()).contains("expected no stream, actual version 1");
        assertThat(cli.allEvents()).hasSize(1);
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "append|nope|--type|t|--data|{}",
        "append|" + STREAM + "|--type|t|--data|{bad",
        "append|" + STREAM + "|--type|t|--data|",
        "append|" + STREAM + "|--type|t|--data|{}|--expect-version|-1",
        "append|" + STREAM + "|--type|t|--data|{}|--expect-version|x",
        "append|" + STREAM + "|--type|t|--data-file|/no/such/file.json",
        "append|" + STREAM + "|--type|_t|--data|{}",
        "append|" + STREAM + "|--type|t|--data|{}|--meta|estoria.snapshot=1",
        "append|" + STREAM + "|--type|t|--data|{}|--meta|novalue",
        "append|" + STREAM + "|--type|t|--data|{}|--event-id|not-a-uuid",
        "append|" + STREAM + "|--type|t|--data|{}|--expect-exists|--expect-no-stream",
        "append|" + STREAM + "|--type|t|--data|{}|--data-file|x.json",
        "append|" + STREAM + "|--new-stream|account|--type|t|--data|{}",
        "append|--type|t|--data|{}",
        "append|" + STREAM + "|--data|{}",
        "append|--new-stream|_x|--type|t|--data|{}",
        "append|" + STREAM + "|--type|t|--data|{}|--format|xml",
        "append|" + STREAM + "|--type|t",
    })
    void badInputIsOneErrorLineExitCode1AndWritesNothing(String argLine) {
        CliHarness.Result result = cli.run(argLine.split("\\|", -1));

        assertThat(result.exitCode()).as(result.err()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).startsWith("error: ").endsWith("\n")
                .doesNotContain("error: Error:").doesNotContain("option option");
        assertThat(result.err().lines()).hasSize(1);
        assertThat(result.out()).isEmpty();
        assertThat(cli.stores).isEmpty();
        assertThat(cli.openCount).isZero();
    }

    @Test
    void valueErrorsSayWhatIsWrong() {
        CliHarness.Result result = cli.run("read", STREAM, "--count", "99999999999999999999");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).contains("\"99999999999999999999\" is too large: at most 9223372036854775807");
        CliHarness.Result farBelow = cli.run("read", STREAM, "--count", "-99999999999999999999");
        assertThat(farBelow.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(farBelow.err()).contains("must not be negative, was -99999999999999999999").doesNotContain("too large");
        assertThat(cli.run("projections", "--live-within", "-99999999999999999999").err())
                .contains("must be 1 or more, was -99999999999999999999").doesNotContain("too large");
        assertThat(cli.run("read", STREAM, "--format", "xml").err()).contains("expected ndjson or table, was 'xml'");
        assertThat(cli.run("read", STREAM, "--format", "TABLE").err()).as("any letter case").doesNotContain("--format");
        CliHarness.Result emptyDb = cli.run("read", STREAM, "--db", "");
        assertThat(emptyDb.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(emptyDb.err()).isEqualTo("error: --db needs a file name\n");
    }

    @Test
    void aPromptWithoutDataIsRefusedInsteadOfWaitingForTypedInput() {
        cli.stdinIsTerminal = true;

        CliHarness.Result result = cli.run("append", STREAM, "--type", "t");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).startsWith("error: no data:");
    }

    @Test
    void linesPipedInAreReadWhileStderrIsATerminal() {
        cli.stderrIsTerminal = true;

        CliHarness.Result result = cli.runWithStdin("{\"n\":1}\n{\"n\":2}\n", "append", STREAM, "--type", "t");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(cli.allEvents()).hasSize(2);
    }

    @Test
    void errorMessagesAreClear() {
        assertThat(cli.run("append", "nope", "--type", "t", "--data", "{}").err()).isEqualTo(
                "error: invalid stream ID \"nope\": too short: expected <type>_<uuid> with a 36-character lowercase UUID"
                        + " (see 'estoria append --help')\n");
        assertThat(cli.run("append", STREAM, "--type", "t", "--data", "{bad").err())
                .startsWith("error: --data: malformed JSON: Unexpected character ('b'");
        assertThat(cli.run("append", STREAM, "--type", "t", "--data-file", "/no/such/file.json").err())
                .isEqualTo("error: file not found: /no/such/file.json\n");
        assertThat(cli.run("append", STREAM, "--type", "t", "--data", "{}", "--expect-version", "-1").err())
                .startsWith("error: Invalid value for option '--expect-version': must not be negative, was -1");
    }

    @ParameterizedTest
    @ValueSource(strings = {"1e9999999999", "{\"a\":-1.5E-9999999999}", "[0.1e+2147483648]"})
    void numbersWithAnyExponentAreValidJsonStoredAndPrintedAsGiven(String json) {
        CliHarness.Result result = cli.run("append", STREAM, "--type", "measured", "--data", json);

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).contains("\"data\":" + json + "}");
        assertThat(new String(cli.allEvents().get(0).data(), StandardCharsets.UTF_8)).isEqualTo(json);
    }

    @Test
    void aNumberOfTwoMillionDigitsIsCheckedInLinearTime() {
        String json = "{\"n\":" + "7".repeat(2_000_000) + "}";

        CliHarness.Result result = org.junit.jupiter.api.Assertions.assertTimeoutPreemptively(
                java.time.Duration.ofSeconds(20), () -> cli.run("append", STREAM, "--type", "measured", "--data", json));

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(cli.allEvents().get(0).data()).isEqualTo(json.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void dataStartingWithAnAtSignIsTheDataEvenWhenAFileHasThatName(@TempDir Path dir) throws Exception {
        // picocli reads an argument "@FILE" as the arguments written in FILE unless told not to: the
        // payload would be replaced by the file's words, which could even be options.
        Path note = dir.resolve("note");
        Files.writeString(note, "injected --expect-version 7\n");
        String data = "@" + note;

        CliHarness.Result result = cli.run("append", STREAM, "--type", "note_added", "--content-type", "text/plain",
                "--data", data, "--meta", "from=@" + note);

        assertThat(result.exitCode()).as(result.err()).isZero();
        Event stored = cli.allEvents().get(0);
        assertThat(new String(stored.data(), StandardCharsets.UTF_8)).isEqualTo(data);
        assertThat(stored.metadata()).isEqualTo(Map.of("from", "@" + note));
    }
}
