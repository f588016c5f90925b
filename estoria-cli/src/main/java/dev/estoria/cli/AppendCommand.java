package dev.estoria.cli;

import dev.estoria.cli.format.Json;
import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.cli.store.StoreMissingException;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ExpectedVersion;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code append STREAM --type T ...}: appends one event, or every NDJSON line of stdin as one
 * all-or-nothing batch.
 *
 * <p>JSON data (the content type is {@code application/json} unless {@code --content-type} says
 * otherwise) must be valid JSON; it is stored as given, without the whitespace around it. {@code
 * --event-id} names the UUID of a single event, so that running the same command twice stores the
 * event once; it is refused when stdin holds several events.
 */
@Command(name = "append",
        description = {"Append events to a stream, all or nothing, and print them as stored.",
            "The data comes from --data, --data-file, or stdin, where each non-blank line is one event's data "
                    + "and all lines are appended together."})
final class AppendCommand extends StoreCommand {

    @Parameters(paramLabel = "STREAM", arity = "0..1", converter = Converters.StreamId.class,
            description = "The stream ID (type_uuid). Leave it out with --new-stream.")
    TypeId stream;

    @Option(names = "--new-stream", paramLabel = "TYPE",
            description = "Append to a new stream of this type, with a fresh time-ordered ID, instead of STREAM.")
    String newStreamType;

    @Option(names = "--type", paramLabel = "TYPE", required = true, description = "The event type, such as funds_deposited.")
    String type;

    @ArgGroup(exclusive = true)
    DataSource source;

    static final class DataSource {
        @Option(names = "--data", paramLabel = "JSON", required = true, description = "The event's data.")
        String inline;

        @Option(names = "--data-file", paramLabel = "FILE", required = true, description = "Read the event's data from FILE.")
        Path file;
    }

    @Option(names = "--content-type", paramLabel = "CT",
            description = "The data's content type (default application/json; data declared as JSON must be valid JSON).")
    String contentType;

    @Option(names = "--meta", paramLabel = "KEY=VALUE", description = "A metadata entry; repeat for more.")
    Map<String, String> metadata = new LinkedHashMap<>();

    @ArgGroup(exclusive = true)
    Expectation expectation;

    static final class Expectation {
        @Option(names = "--expect-version", paramLabel = "N", required = true, converter = Converters.NonNegative.class,
                description = "Fail unless the stream's version is N (0: never written, or deleted).")
        Long version;

        @Option(names = "--expect-no-stream", required = true, description = "Fail if the stream exists.")
        boolean noStream;

        @Option(names = "--expect-exists", required = true, description = "Fail unless the stream exists.")
        boolean exists;

        ExpectedVersion toExpectedVersion() {
            if (version != null) {
                return ExpectedVersion.exact(version);
            }
            return noStream ? ExpectedVersion.noStream() : ExpectedVersion.streamExists();
        }
    }

    @Option(names = "--event-id", paramLabel = "UUID", converter = Converters.Uuid.class,
            description = "The event's UUID, so that repeating the command stores the event once. One event only.")
    UUID eventId;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        TypeId streamId = streamId();
        checkTypeName("event type (--type)", type);
        String declaredType = contentType == null ? Json.CONTENT_TYPE : contentType;
        Map<String, String> checkedMetadata = checkedMetadata();
        List<byte[]> payloads = payloads(Json.isJsonContentType(declaredType));
        if (eventId != null && payloads.size() != 1) {
            throw new BadInputException("--event-id names one event, but stdin holds " + payloads.size()
                    + "; append them one by one to choose their IDs, or use 'import' with exported events");
        }
        List<WritableEvent> events = new ArrayList<>(payloads.size());
        for (byte[] payload : payloads) {
            events.add(new WritableEvent(type, payload, declaredType, checkedMetadata, Optional.ofNullable(eventId)));
        }
        checkStreamTypeFits(streamId, "");
        AppendStreamOptions options = expectation == null
                ? AppendStreamOptions.defaults()
                : AppendStreamOptions.expecting(expectation.toExpectedVersion());

        // An expectation that a missing stream fails cannot be met in a missing store either: refuse
        // it as the store would, without creating the store first.
        ExpectedVersion expected = options.expectedVersion();
        boolean needsStream = !expected.isSatisfiedBy(0);
        List<Event> written;
        try (CliStore store = open(needsStream ? OpenMode.MUST_EXIST : OpenMode.CREATE_IF_MISSING)) {
            written = store.appendStream(streamId, events, options);
        } catch (StoreMissingException e) {
            throw new StreamVersionMismatchException(streamId, expected, 0);
        }
        OutputOptions.EventPrinter printer = output.printer(out());
        written.forEach(printer::print);
        printer.finish();
        return ExitCodes.OK;
    }

    private TypeId streamId() {
        if (stream != null && newStreamType != null) {
            throw new BadInputException("give either STREAM or --new-stream TYPE, not both");
        }
        if (stream == null && newStreamType == null) {
            throw new BadInputException("missing STREAM: give a stream ID, or --new-stream TYPE to start a new stream");
        }
        if (stream != null) {
            return stream;
        }
        checkTypeName("stream type (--new-stream)", newStreamType);
        return TypeId.newV7(newStreamType);
    }

    private static void checkTypeName(String what, String name) {
        if (!TypeId.isValidTypeName(name)) {
            throw new BadInputException("invalid " + what + " \"" + name
                    + "\": a type name is non-empty and neither starts nor ends with '_'");
        }
    }

    private Map<String, String> checkedMetadata() {
        for (String key : metadata.keySet()) {
            if (key.isEmpty()) {
                throw new BadInputException("--meta needs a key before '=': KEY=VALUE");
            }
            if (key.startsWith(WritableEvent.RESERVED_METADATA_PREFIX)) {
                throw new BadInputException("metadata key \"" + key + "\" is reserved: keys starting with \""
                        + WritableEvent.RESERVED_METADATA_PREFIX + "\" belong to Estoria");
            }
        }
        return metadata;
    }

    private List<byte[]> payloads(boolean json) {
        if (source != null && source.inline != null) {
            return List.of(payload(source.inline.getBytes(StandardCharsets.UTF_8), json, "--data"));
        }
        if (source != null && source.file != null) {
            return List.of(payload(readFile(source.file), json, source.file.toString()));
        }
        return stdinPayloads(json);
    }

    private static byte[] readFile(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            throw new BadInputException("file not found: " + file);
        } catch (IOException e) {
            throw new BadInputException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * Checks JSON data, without the whitespace around it and without a byte order mark (which
     * editors on some systems start files with; JSON allows a reader to ignore it); other data is
     * kept byte for byte.
     */
    private static byte[] payload(byte[] data, boolean json, String origin) {
        if (!json) {
            return data;
        }
        String text = Json.utf8(data).orElseThrow(() -> new BadInputException(origin + ": JSON data is not valid UTF-8"));
        if (text.startsWith("\uFEFF")) {
            text = text.substring(1);
        }
        try {
            Json.validate(text);
        } catch (IllegalArgumentException e) {
            throw new BadInputException(origin + ": " + e.getMessage(), e);
        }
        return text.strip().getBytes(StandardCharsets.UTF_8);
    }

    private List<byte[]> stdinPayloads(boolean json) {
        if (environment().stdinIsTerminal()) {
            throw new BadInputException("no data: give --data JSON or --data-file FILE, or pipe NDJSON lines to stdin");
        }
        List<byte[]> payloads = new ArrayList<>();
        var decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(environment().stdin(), decoder))) {
            String line;
            int number = 0;
            while ((line = reader.readLine()) != null) {
                number++;
                if (!line.isBlank()) {
                    payloads.add(payload(line.getBytes(StandardCharsets.UTF_8), json, "stdin line " + number));
                }
            }
        } catch (CharacterCodingException e) {
            throw new BadInputException("stdin is not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new BadInputException("cannot read stdin: " + e.getMessage(), e);
        }
        if (payloads.isEmpty()) {
            throw new BadInputException("no data: stdin was empty; give --data JSON, --data-file FILE, or NDJSON lines on stdin");
        }
        return payloads;
    }
}
