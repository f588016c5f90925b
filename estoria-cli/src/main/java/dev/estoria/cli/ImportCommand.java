package dev.estoria.cli;

import dev.estoria.cli.format.EventJson;
import dev.estoria.cli.format.ExportedEvent;
import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DuplicateEventIdException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.MultiStreamWriter;
import dev.estoria.eventstore.StreamAppend;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.CharacterCodingException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/**
 * {@code import FILE}: appends the events of an export (or of any event lines) to the store.
 *
 * <p>The file is checked completely before anything is written, so a malformed line writes nothing.
 * An event the store refuses (its ID taken by another event, or a value the store cannot hold) stops
 * the import at its line, with the events before it written; a second run skips those. Each
 * event is appended with its original UUID; the store's idempotent append then makes a re-import of
 * the same file write nothing, and a re-import after an interrupted one write only what is missing.
 * Events are appended in the file's order, up to {@value #BATCH} at a time and {@value
 * #BATCH_BYTES} bytes of payload, so memory stays bounded whatever the events' sizes: on a store
 * with {@link MultiStreamWriter} (SQLite, PostgreSQL, memory) in one atomic call, whatever their
 * streams, each run of consecutive events of one stream one append of it; on others, consecutive
 * events of one stream together. Should a call be refused (part of it stored already, or an event
 * the store will not take), its runs are appended one by one instead, and then event by event, so
 * that stored events are skipped and a refused one is named by its line.
 * Stream versions, global positions and timestamps are assigned by this store: they equal the
 * exported ones when a complete export of a store whose streams were never truncated is imported
 * into an empty store.
 */
@Command(name = "import",
        description = {"Append the events of an NDJSON export, keeping their IDs, so importing twice writes them once.",
            "The file is checked before anything is written. Shows progress on stderr."})
final class ImportCommand extends StoreCommand {

    static final int BATCH = 1000;

    /**
     * At most this many payload bytes in one append (an event larger than this goes alone): a batch is
     * held in memory a few times over while it is appended, so its size in bytes must be bounded too,
     * not only its count, or large payloads exhaust a small heap that export handled.
     */
    static final int BATCH_BYTES = 4 << 20;

    /** Events are restored exactly, including metadata that only Estoria's own components may write. */
    private static final AppendStreamOptions RESTORE = AppendStreamOptions.defaults().withReservedMetadataAllowed();

    @Parameters(paramLabel = "FILE", description = "An NDJSON file, as written by 'export'; - reads it from stdin.")
    Path file;

    /** The file read: {@link #file}, or a copy of stdin, which is read twice (checked, then imported). */
    private Path source;
    /** The file as messages name it. */
    private String name;

    private final Map<TypeId, Long> knownTips = new HashMap<>();
    private final Set<TypeId> streamsTouched = new HashSet<>();
    private long written;
    private long alreadyPresent;

    @Override
    public Integer call() {
        if (!file.toString().equals("-")) {
            if (!Files.isRegularFile(file)) {
                throw new BadInputException(Files.exists(file) ? file + " is not a file" : "file not found: " + file);
            }
            source = file;
            name = file.toString();
            return importSource();
        }
        if (environment().stdinIsTerminal()) {
            throw new BadInputException("import - reads an export from stdin: pipe one in, as in"
                    + " 'estoria export --db a.db | estoria import - --db b.db'");
        }
        name = "stdin";
        try {
            Path copy = Files.createTempFile("estoria-import-", ".ndjson");
            source = copy;
            // A Ctrl-C ends the process without running the finally below: the copy, a whole export,
            // must not stay behind in the temporary directory.
            try (Interrupts.Registration onInterrupt = environment().interrupts().register(() -> deleteQuietly(copy))) {
                Files.copy(environment().stdin(), copy, StandardCopyOption.REPLACE_EXISTING);
                return importSource();
            } finally {
                // Quietly: a failure to delete must not hide the import's own outcome.
                deleteQuietly(copy);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot keep stdin in a temporary file to import it", e);
        }
    }

    private static void deleteQuietly(Path file) {
        try {
            Files.deleteIfExists(file);
        } catch (IOException ignored) {
            // Nothing more can be done about it here: the import's outcome is what must be reported.
        }
    }

    private int importSource() {
        long total = check();
        if (total == 0) {
            out().println("nothing to import: " + name + " holds no events");
            return ExitCodes.OK;
        }
        knownTips.clear();
        streamsTouched.clear();
        written = 0;
        alreadyPresent = 0;
        Progress progress = Progress.create(err(), environment().stderrIsTerminal(), "importing", total);
        try (CliStore store = open(OpenMode.CREATE_IF_MISSING)) {
            for (StreamInfo stream : store.listStreams()) {
                knownTips.put(stream.streamId(), stream.version());
            }
            MultiStreamWriter multi = store.multiStreamWriter().orElse(null);
            List<ExportedEvent> batch = new ArrayList<>();
            List<Integer> lines = new ArrayList<>();
            long batchBytes = 0;
            try (Utf8Lines reader = reader()) {
                String line;
                int number = 0;
                while ((line = reader.readLine()) != null) {
                    number++;
                    if (line.isBlank()) {
                        continue;
                    }
                    ExportedEvent event = EventJson.read(line);
                    if (!batch.isEmpty() && (batch.size() == BATCH || batchBytes + event.dataLength() > BATCH_BYTES
                            || multi == null && !batch.get(0).streamId().equals(event.streamId()))) {
                        appendBatch(store, multi, batch, lines);
                        progress.advance(batch.size());
                        batch.clear();
                        lines.clear();
                        batchBytes = 0;
                    }
                    batch.add(event);
                    lines.add(number);
                    batchBytes += event.dataLength();
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            if (!batch.isEmpty()) {
                appendBatch(store, multi, batch, lines);
                progress.advance(batch.size());
            }
        } finally {
            progress.finish();
        }
        out().println("imported " + total + " events into " + streamsTouched.size() + " streams from " + name + ": "
                + written + " written, " + alreadyPresent + " already present");
        return ExitCodes.OK;
    }

    /** Reads the whole file once, refusing it at its first bad line; returns the number of events. */
    private long check() {
        long events = 0;
        int number = 0;
        try (Utf8Lines reader = reader()) {
            String line;
            while ((line = reader.readLine()) != null) {
                number++;
                if (line.isBlank()) {
                    continue;
                }
                ExportedEvent event;
                try {
                    event = EventJson.read(line);
                } catch (IllegalArgumentException e) {
                    throw new BadInputException(name + " line " + number + ": " + e.getMessage(), e);
                }
                checkStreamTypeFits(event.streamId(), name + " line " + number + ": ");
                events++;
            }
        } catch (CharacterCodingException e) {
            throw new BadInputException(name + " line " + (number + 1) + ": not valid UTF-8 text", e);
        } catch (IOException e) {
            throw new BadInputException("cannot read " + name + ": " + e.getMessage(), e);
        }
        return events;
    }

    /** The file's lines; each is decoded on its own, so a line that is not UTF-8 is named by its number. */
    private Utf8Lines reader() throws IOException {
        return new Utf8Lines(Files.newInputStream(source));
    }

    /**
     * Appends a batch of events, in order: in one multi-stream call when the store has one, each run
     * of consecutive events of one stream an append of its own; otherwise the batch is one stream's.
     */
    private void appendBatch(CliStore store, MultiStreamWriter multi, List<ExportedEvent> batch, List<Integer> lines) {
        if (multi == null) {
            append(store, batch, lines);
            return;
        }
        List<Integer> runStarts = new ArrayList<>();
        List<StreamAppend> appends = new ArrayList<>();
        for (int i = 0; i < batch.size(); i++) {
            if (i == 0 || !batch.get(i).streamId().equals(batch.get(i - 1).streamId())) {
                runStarts.add(i);
            }
        }
        runStarts.add(batch.size());
        for (int r = 0; r + 1 < runStarts.size(); r++) {
            List<ExportedEvent> run = batch.subList(runStarts.get(r), runStarts.get(r + 1));
            appends.add(StreamAppend.of(run.get(0).streamId(), run.stream().map(ExportedEvent::toWritable).toList(),
                    RESTORE));
        }
        List<List<Event>> stored;
        try {
            stored = multi.appendStreams(appends);
        } catch (DuplicateEventIdException | IllegalArgumentException e) {
            // Nothing of the call was written: part of it is stored already (an earlier import
            // stopped midway), or the store refuses an event. Stream run by stream run, stored
            // events are skipped, the rest written, and a refused event named by its line.
            for (int r = 0; r + 1 < runStarts.size(); r++) {
                int from = runStarts.get(r);
                int to = runStarts.get(r + 1);
                append(store, batch.subList(from, to), lines.subList(from, to));
            }
            return;
        }
        for (int r = 0; r < stored.size(); r++) {
            count(appends.get(r).streamId(), stored.get(r));
        }
    }

    /** Appends one stream's run of events; {@code lines} holds each one's line number in the file. */
    private void append(CliStore store, List<ExportedEvent> batch, List<Integer> lines) {
        TypeId streamId = batch.get(0).streamId();
        List<WritableEvent> events = batch.stream().map(ExportedEvent::toWritable).toList();
        try {
            count(streamId, store.appendStream(streamId, events, RESTORE));
        } catch (DuplicateEventIdException | IllegalArgumentException e) {
            if (events.size() == 1) {
                throw refused(lines.get(0), e);
            }
            // Part of this batch is stored already (an earlier import stopped midway, or batched
            // differently), or one event is refused: append one by one, so each stored event is
            // skipped, the rest written, and a refused one named by its line.
            for (int i = 0; i < events.size(); i++) {
                try {
                    count(streamId, store.appendStream(streamId, List.of(events.get(i)), RESTORE));
                } catch (DuplicateEventIdException | IllegalArgumentException refusal) {
                    throw refused(lines.get(i), refusal);
                }
            }
        }
    }

    /**
     * An event the store refuses though its line is well formed: its ID belongs to another event
     * (stored, or earlier in the file), or the store cannot hold a value of it. The check before
     * writing cannot see these, so the import stops here, with what came before written.
     */
    private RuntimeException refused(int line, RuntimeException refusal) {
        String message = name + " line " + line + ": " + refusal.getMessage() + "; the import stopped there, after"
                + " writing " + written + " events (" + alreadyPresent + " were already present). Correct or remove"
                + " that line and import again: what is stored is skipped";
        // A value the store cannot hold is bad input; an ID another event holds is a conflict with the store.
        return refusal instanceof IllegalArgumentException
                ? new BadInputException(message, refusal)
                : new EventStoreException(message, refusal);
    }

    /** Tells new events from stored ones by their versions: new ones land past the stream's tip. */
    private void count(TypeId streamId, List<Event> stored) {
        streamsTouched.add(streamId);
        long tip = knownTips.getOrDefault(streamId, 0L);
        long first = stored.get(0).streamVersion();
        long last = stored.get(stored.size() - 1).streamVersion();
        if (first > tip) {
            written += stored.size();
        } else {
            alreadyPresent += stored.size();
        }
        knownTips.put(streamId, Math.max(tip, last));
    }
}
