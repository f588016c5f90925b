package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.cli.store.CliStore;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ExportImportTest {

    static final TypeId ACCOUNT = TypeId.parse("account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a");
    static final TypeId BLOB = TypeId.parse("blob_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7b");

    final CliHarness cli = new CliHarness();

    @TempDir
    Path dir;

    @BeforeEach
    void aVariedHistory() {
        InMemoryEventStore store = cli.defaultStore();
        store.appendStream(ACCOUNT, List.of(
                WritableEvent.json("account_opened", "{\"owner\": \"Zoë\"}").withMetadata(Map.of("channel", "web")),
                WritableEvent.json("funds_deposited", "{\n  \"amount\": 10\n}"),
                WritableEvent.json("funds_deposited", "[1, 2.50, \"x\\u00e9\", true, null]")));
        store.appendStream(BLOB, List.of(
                new WritableEvent("bytes_stored", new byte[] {0, (byte) 0xff, 10, 13}, "application/octet-stream",
                        Map.of(), Optional.empty()),
                new WritableEvent("text_noted", "plain\ntext".getBytes(StandardCharsets.UTF_8), "", Map.of("k", "v"),
                        Optional.empty()),
                new WritableEvent("broken_json", "{not json".getBytes(StandardCharsets.UTF_8), "application/json",
                        Map.of(), Optional.empty()),
                new WritableEvent("snapshot_taken", "42".getBytes(StandardCharsets.UTF_8), "application/json",
                        Map.of("estoria.snapshot", "true"), Optional.empty())),
                AppendStreamOptions.defaults().withReservedMetadataAllowed());
        store.appendStream(ACCOUNT, List.of(WritableEvent.json("account_closed", "\"bye\"")));
    }

    Path export(String db) throws Exception {
        CliHarness.Result result = cli.run("export", "--db", db);
        assertThat(result.exitCode()).as(result.err()).isZero();
        Path file = dir.resolve("export-" + System.nanoTime() + ".ndjson");
        Files.writeString(file, result.out());
        return file;
    }

    /** Everything but the store-assigned timestamp. */
    static List<String> facts(List<Event> events) {
        return events.stream().map(e -> e.id() + " " + e.streamId() + " v" + e.streamVersion()
                + " @" + e.globalPosition().getAsLong() + " " + e.contentType() + " " + e.metadata()
                + " " + java.util.HexFormat.of().formatHex(e.data())).toList();
    }

    @Test
    void exportThenImportRestoresEveryEventExactly() throws Exception {
        Path file = export(StoreOptions.DEFAULT_DB);
        assertThat(Files.readAllLines(file)).hasSize(8);

        CliHarness.Result result = cli.run("import", file.toString(), "--db", "copy.db");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).isEqualTo("imported 8 events into 2 streams from " + file + ": 8 written, 0 already present\n");
        List<Event> original = cli.allEvents();
        List<Event> copy = cli.store("copy.db").readAll().toList();
        assertThat(facts(copy)).isEqualTo(facts(original));
        // And the copy exports to the same lines, timestamps aside.
        assertThat(Files.readString(export("copy.db")).replaceAll("\"timestamp\":\"[^\"]*\"", ""))
                .isEqualTo(Files.readString(file).replaceAll("\"timestamp\":\"[^\"]*\"", ""));
    }

    @Test
    void exportShowsJsonInlineAndKeepsExactBytesWhereTheyCannotBeInline() throws Exception {
        List<String> lines = Files.readAllLines(export(StoreOptions.DEFAULT_DB));

        assertThat(lines.get(0)).endsWith("\"metadata\":{\"channel\":\"web\"},\"data\":{\"owner\": \"Zoë\"}}");
        assertThat(lines.get(1)).contains("\"data\":{\"amount\":10},\"dataBase64\":\"");
        assertThat(lines.get(2)).endsWith("\"data\":[1, 2.50, \"x\\u00e9\", true, null]}");
        assertThat(lines.get(3)).contains("\"dataBase64\":\"AP8KDQ==\"").doesNotContain("\"data\":");
        assertThat(lines.get(5)).contains("\"contentType\":\"application/json\"").contains("\"dataBase64\":\"e25vdCBqc29u\"");
        assertThat(lines.get(7)).endsWith("\"data\":\"bye\"}");
    }

    @Test
    void anExportMayWaitAsLongAsTheLargestWaitItTakes() {
        // A ninth event is committed but held back from readers until the transaction holding it
        // back ends, which it does while the export waits.
        InMemoryEventStore store = cli.defaultStore();
        AtomicInteger asked = new AtomicInteger();
        CliStore.Watermark heldBack = new CliStore.Watermark() {
            @Override
            public long committedHead() {
                if (asked.incrementAndGet() == 3) {
                    store.appendStream(ACCOUNT, List.of(WritableEvent.json("account_reopened", "{}")));
                }
                return 9;
            }

            @Override
            public String heldBackBy() {
                return "an older transaction";
            }
        };
        cli.opener = (target, mode) -> CliStore.of(store,
                cli.checkpoints(StoreOptions.DEFAULT_DB), cli.snapshots(StoreOptions.DEFAULT_DB), () -> { }, heldBack);

        CliHarness.Result result = cli.run("export", "--wait", Long.toString(Long.MAX_VALUE));

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.err()).isEqualTo("waiting up to " + Long.MAX_VALUE
                + " s for the events committed before the export began: an older transaction\n");
        assertThat(result.outLines()).hasSize(9);
        assertThat(result.outLines().get(8)).contains("account_reopened");
    }

    @Test
    void importReadsAnExportFromStdinWithDash() throws Exception {
        String export = Files.readString(export(StoreOptions.DEFAULT_DB));

        CliHarness.Result result = cli.runWithStdin(export, "import", "-", "--db", "copy.db");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).isEqualTo("imported 8 events into 2 streams from stdin: 8 written, 0 already present\n");
        assertThat(facts(cli.store("copy.db").readAll().toList())).isEqualTo(facts(cli.allEvents()));

        CliHarness.Result bad = cli.runWithStdin(export + "{not json\n", "import", "-", "--db", "other.db");
        assertThat(bad.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(bad.err()).startsWith("error: stdin line 9: malformed JSON");
        assertThat(cli.stores).doesNotContainKey(java.nio.file.Path.of("other.db"));

        cli.stdinIsTerminal = true;
        assertThat(cli.run("import", "-", "--db", "copy.db").err()).startsWith("error: import - reads an export from stdin");
    }

    @Test
    void importFromStdinLeavesNoCopyOfItBehindWhenTheProcessIsStopped() throws Exception {
        Path temp = Files.createDirectory(dir.resolve("tmp"));
        String launcher = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process child = new ProcessBuilder(launcher, "--enable-native-access=ALL-UNNAMED", "-Djava.io.tmpdir=" + temp,
                "-Destoria.stdinIsTerminal=false", "-cp", System.getProperty("java.class.path"),
                EstoriaCli.class.getName(), "import", "-", "--db", dir.resolve("copy.db").toString())
                .redirectErrorStream(true).redirectOutput(dir.resolve("child.txt").toFile()).start();
        try {
            // An export still coming in through a pipe: stdin stays open.
            child.getOutputStream().write(Files.readAllBytes(export(StoreOptions.DEFAULT_DB)));
            child.getOutputStream().flush();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (importCopies(temp).isEmpty() && System.nanoTime() < deadline) {
                Thread.sleep(10); // polling another process's files, not ordering threads
            }
            assertThat(importCopies(temp)).as("stdin is kept in a temporary file").hasSize(1);

            child.destroy(); // SIGTERM; a Ctrl-C (SIGINT) ends the process the same way

            assertThat(child.waitFor(30, TimeUnit.SECONDS)).as("import ended").isTrue();
        } finally {
            child.destroyForcibly();
        }
        assertThat(importCopies(temp)).as("the copy of stdin, a whole export, is deleted").isEmpty();
    }

    /** The temporary copies of stdin that import keeps in {@code temp}. */
    private static List<Path> importCopies(Path temp) throws IOException {
        try (var files = Files.list(temp)) {
            return files.filter(f -> f.getFileName().toString().startsWith("estoria-import-")).toList();
        }
    }

    @Test
    void reimportingWritesNothing() throws Exception {
        Path file = export(StoreOptions.DEFAULT_DB);
        cli.run("import", file.toString(), "--db", "copy.db");
        List<Event> afterFirst = cli.store("copy.db").readAll().toList();

        CliHarness.Result again = cli.run("import", file.toString(), "--db", "copy.db");

        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).endsWith(": 0 written, 8 already present\n");
        assertThat(cli.store("copy.db").readAll().toList()).isEqualTo(afterFirst);
    }

    @Test
    void importAfterAPartialImportWritesOnlyWhatIsMissing() throws Exception {
        Path file = export(StoreOptions.DEFAULT_DB);
        List<String> lines = Files.readAllLines(file);
        Path firstTwo = dir.resolve("partial.ndjson");
        Files.write(firstTwo, lines.subList(0, 2));
        cli.run("import", firstTwo.toString(), "--db", "copy.db");

        // The first batch of the full file (three account events) now overlaps what is stored.
        CliHarness.Result result = cli.run("import", file.toString(), "--db", "copy.db");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).endsWith(": 6 written, 2 already present\n");
        assertThat(facts(cli.store("copy.db").readAll().toList())).isEqualTo(facts(cli.allEvents()));
    }

    @Test
    void aBadLineIsReportedWithItsNumberAndNothingIsWritten() throws Exception {
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(export(StoreOptions.DEFAULT_DB)));
        lines.set(4, lines.get(4).replace("\"id\":\"text_noted_", "\"id\":\"text_noted-"));
        Path file = dir.resolve("bad.ndjson");
        Files.write(file, lines);

        CliHarness.Result result = cli.run("import", file.toString(), "--db", "copy.db");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).startsWith("error: " + file + " line 5: invalid TypeId \"text_noted-");
        assertThat(result.err().lines()).hasSize(1);
        assertThat(cli.stores).doesNotContainKey(Path.of("copy.db"));
    }

    @Test
    void anIdTakenByAnotherEventStopsTheImportAtItsLineAndARerunResumes() throws Exception {
        List<String> lines = new java.util.ArrayList<>(Files.readAllLines(export(StoreOptions.DEFAULT_DB)));
        // Line 5 reuses line 1's event ID for a different event in another stream: well formed, so
        // the check passes it, but no store can hold both.
        String firstUuid = lines.get(0).replaceAll("^\\{\"id\":\"[a-z_]+_([0-9a-f-]{36})\".*$", "$1");
        String taken = lines.get(4).replaceAll("^\\{\"id\":\"([a-z_]+)_[0-9a-f-]{36}\"", "{\"id\":\"$1_" + firstUuid + "\"");
        List<String> conflicting = new java.util.ArrayList<>(lines);
        conflicting.set(4, taken);
        Path file = dir.resolve("conflicting.ndjson");
        Files.write(file, conflicting);

        CliHarness.Result result = cli.run("import", file.toString(), "--db", "copy.db");

        assertThat(taken).isNotEqualTo(lines.get(4)).contains(firstUuid);
        assertThat(result.exitCode()).isEqualTo(ExitCodes.STORE_ERROR);
        assertThat(result.err()).startsWith("error: " + file + " line 5: duplicate event ID " + firstUuid)
                .contains("after writing 4 events");
        assertThat(result.err().lines()).hasSize(1);
        assertThat(cli.store("copy.db").readAll().toList()).hasSize(4);

        // With the line corrected, a second run writes the rest and skips what is there.
        CliHarness.Result rerun = cli.run("import", export(StoreOptions.DEFAULT_DB).toString(), "--db", "copy.db");
        assertThat(rerun.exitCode()).as(rerun.err()).isZero();
        assertThat(rerun.out()).endsWith(": 4 written, 4 already present\n");
        assertThat(facts(cli.store("copy.db").readAll().toList())).isEqualTo(facts(cli.allEvents()));
    }

    @Test
    void malformedJsonAndMissingFilesAreBadInput() throws Exception {
        Path file = dir.resolve("broken.ndjson");
        Files.writeString(file, "\n{\"id\": \n");

        CliHarness.Result broken = cli.run("import", file.toString(), "--db", "copy.db");
        CliHarness.Result missing = cli.run("import", dir.resolve("nope.ndjson").toString(), "--db", "copy.db");

        assertThat(broken.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(broken.err()).startsWith("error: " + file + " line 2: malformed JSON: ");
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(missing.err()).isEqualTo("error: file not found: " + dir.resolve("nope.ndjson") + "\n");
        assertThat(cli.stores).doesNotContainKey(Path.of("copy.db"));
    }

    @Test
    void anEventIdStoredInAnotherStreamIsAStoreError() throws Exception {
        Path file = export(StoreOptions.DEFAULT_DB);
        Event first = cli.allEvents().get(0);
        cli.store("copy.db").appendStream(TypeId.parse("other_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7c"),
                List.of(WritableEvent.json("account_opened", "{}").withEventId(first.id().uuid())));

        CliHarness.Result result = cli.run("import", file.toString(), "--db", "copy.db");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.STORE_ERROR);
        assertThat(result.err()).startsWith("error: " + file + " line 1: duplicate event ID " + first.id().uuid())
                .contains("after writing 0 events");
    }

    @Test
    void aLineThatIsNotUtf8IsNamedByItsOwnNumber() throws Exception {
        List<String> lines = Files.readAllLines(export(StoreOptions.DEFAULT_DB));
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        for (int i = 0; i < 300; i++) {
            bytes.write((lines.get(i % lines.size()) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        // Line 301: Latin-1 text, as an editor might save it.
        bytes.write(lines.get(0).replace("Zoë", "Zo").getBytes(StandardCharsets.UTF_8));
        bytes.write(new byte[] {(byte) 0xeb, '\n'});
        Path file = dir.resolve("latin1.ndjson");
        Files.write(file, bytes.toByteArray());

        CliHarness.Result result = cli.run("import", file.toString(), "--db", "copy.db");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).isEqualTo("error: " + file + " line 301: not valid UTF-8 text\n");
        assertThat(cli.stores).doesNotContainKey(Path.of("copy.db"));
    }

    @Test
    void anEmptyFileImportsNothing() throws Exception {
        Path file = dir.resolve("empty.ndjson");
        Files.writeString(file, "\n");

        CliHarness.Result result = cli.run("import", file.toString(), "--db", "copy.db");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("nothing to import: " + file + " holds no events\n");
    }

    @Test
    void largeImportsAreBatchedAndReportProgress() throws Exception {
        InMemoryEventStore big = cli.store("big.db");
        TypeId stream = TypeId.parse("load_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7d");
        List<WritableEvent> events = new java.util.ArrayList<>();
        for (int i = 0; i < Progress.PLAIN_THRESHOLD; i++) {
            events.add(WritableEvent.json("loaded", "{\"i\":" + i + "}").withEventId(UUID.randomUUID()));
        }
        big.appendStream(stream, events);
        Path file = export("big.db");

        CliHarness.Result result = cli.run("import", file.toString(), "--db", "copy.db");

        assertThat(result.exitCode()).isZero();
        assertThat(result.err().lines()).containsExactly(
                "importing: 1000/10000 (10%)", "importing: 2000/10000 (20%)", "importing: 3000/10000 (30%)",
                "importing: 4000/10000 (40%)", "importing: 5000/10000 (50%)", "importing: 6000/10000 (60%)",
                "importing: 7000/10000 (70%)", "importing: 8000/10000 (80%)", "importing: 9000/10000 (90%)");
        assertThat(cli.store("copy.db").readAll().toList()).extracting(Event::id)
                .isEqualTo(big.readAll().toList().stream().map(Event::id).toList());
    }

    @Test
    void largePayloadsAreAppendedInBatchesOfBoundedSizeSoASmallHeapSuffices() throws Exception {
        // 24 events of 512 KiB in one stream: export streams them one by one, so import must not hold
        // them all (or 1000 of them) in memory at once either.
        InMemoryEventStore fat = cli.store("fat.db");
        TypeId stream = TypeId.parse("doc_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7e");
        List<WritableEvent> events = new java.util.ArrayList<>();
        for (int i = 0; i < 24; i++) {
            byte[] payload = new byte[512 << 10];
            java.util.Arrays.fill(payload, (byte) ('a' + i));
            events.add(new WritableEvent("page_stored", payload, "text/plain", Map.of(), Optional.of(UUID.randomUUID())));
        }
        fat.appendStream(stream, events);
        Path file = export("fat.db");
        List<Long> appendedBytes = new java.util.concurrent.CopyOnWriteArrayList<>();
        dev.estoria.cli.store.StoreOpener memory = cli.opener;
        cli.opener = (target, mode) -> recordingAppends(memory.open(target, mode), appendedBytes);

        CliHarness.Result result = cli.run("import", file.toString(), "--db", "copy.db");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).endsWith(": 24 written, 0 already present\n");
        assertThat(appendedBytes).hasSizeGreaterThan(1).allSatisfy(bytes -> assertThat(bytes).isLessThanOrEqualTo(
                (long) ImportCommand.BATCH_BYTES));
        assertThat(facts(cli.store("copy.db").readAll().toList())).isEqualTo(facts(fat.readAll().toList()));
    }

    @Test
    void anExportWhoseStreamsTakeTurnsIsImportedInAFewAtomicCalls() throws Exception {
        // 3 streams taking turns, one event at a time: one append per event, were only one stream's
        // consecutive events appended together.
        InMemoryEventStore turns = cli.store("turns.db");
        TypeId[] streams = {TypeId.parse("turn_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b71"),
            TypeId.parse("turn_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b72"), TypeId.parse("turn_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b73")};
        for (int i = 0; i < 1_500; i++) {
            turns.appendStream(streams[i % 3], List.of(WritableEvent.json("turned", "{\"i\":" + i + "}")));
        }
        Path file = export("turns.db");
        List<Long> calls = new java.util.concurrent.CopyOnWriteArrayList<>();
        dev.estoria.cli.store.StoreOpener memory = cli.opener;
        cli.opener = (target, mode) -> recordingAppends(memory.open(target, mode), calls);

        CliHarness.Result result = cli.run("import", file.toString(), "--db", "copy.db");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.out()).endsWith(": 1500 written, 0 already present\n");
        assertThat(calls).as("store calls: %d events each, at most", ImportCommand.BATCH).hasSize(2);
        assertThat(facts(cli.store("copy.db").readAll().toList())).isEqualTo(facts(turns.readAll().toList()));

        // A second run finds everything stored, call by call.
        calls.clear();
        CliHarness.Result again = cli.run("import", file.toString(), "--db", "copy.db");
        assertThat(again.out()).endsWith(": 0 written, 1500 already present\n");
        assertThat(calls).hasSize(2);
    }

    /** The store, recording the payload bytes of each append, and of each multi-stream append. */
    static dev.estoria.cli.store.CliStore recordingAppends(dev.estoria.cli.store.CliStore store, List<Long> bytes) {
        return new dev.estoria.cli.store.CliStore() {
            @Override
            public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
                bytes.add(events.stream().mapToLong(WritableEvent::dataLength).sum());
                return store.appendStream(streamId, events, options);
            }

            @Override
            public dev.estoria.eventstore.StreamIterator readStream(TypeId streamId,
                    dev.estoria.eventstore.ReadStreamOptions options) {
                return store.readStream(streamId, options);
            }

            @Override
            public dev.estoria.eventstore.StreamIterator readAll(dev.estoria.eventstore.ReadAllOptions options) {
                return store.readAll(options);
            }

            @Override
            public long headPosition() {
                return store.headPosition();
            }

            @Override
            public void deleteStream(TypeId streamId, dev.estoria.eventstore.DeleteStreamOptions options) {
                store.deleteStream(streamId, options);
            }

            @Override
            public List<dev.estoria.eventstore.StreamInfo> listStreams() {
                return store.listStreams();
            }

            @Override
            public AutoCloseable onAppend(Runnable listener) {
                return store.onAppend(listener);
            }

            @Override
            public dev.estoria.projection.CheckpointStore checkpoints() {
                return store.checkpoints();
            }

            @Override
            public dev.estoria.snapshot.SnapshotStore snapshots() {
                return store.snapshots();
            }

            @Override
            public Optional<dev.estoria.eventstore.MultiStreamWriter> multiStreamWriter() {
                return store.multiStreamWriter().map(writer -> appends -> {
                    bytes.add(appends.stream().flatMap(a -> a.events().stream()).mapToLong(WritableEvent::dataLength).sum());
                    return writer.appendStreams(appends);
                });
            }

            @Override
            public void close() {
                store.close();
            }
        };
    }
}
