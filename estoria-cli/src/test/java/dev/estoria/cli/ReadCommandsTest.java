package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.estoria.cli.store.CliStore;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.snapshot.SnapshotStore;
import dev.estoria.typeid.TypeId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** read, read-all, streams and delete. */
class ReadCommandsTest {

    static final TypeId ACCOUNT = TypeId.parse("account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a");
    static final TypeId ORDER = TypeId.parse("order_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7b");
    static final ObjectMapper JSON = new ObjectMapper();

    final CliHarness cli = new CliHarness();

    @BeforeEach
    void fiveAccountEventsAndTwoOrderEvents() {
        InMemoryEventStore store = cli.defaultStore();
        for (int i = 1; i <= 5; i++) {
            store.appendStream(ACCOUNT, List.of(WritableEvent.json("funds_deposited", "{\"n\":" + i + "}")));
            if (i <= 2) {
                store.appendStream(ORDER, List.of(WritableEvent.json("order_placed", "{\"o\":" + i + "}")));
            }
        }
    }

    static List<Long> field(CliHarness.Result result, String name) throws Exception {
        List<Long> values = new ArrayList<>();
        for (String line : result.outLines()) {
            JsonNode node = JSON.readTree(line);
            values.add(node.get(name).asLong());
        }
        return values;
    }

    @Test
    void readPrintsAStreamOldestFirst() throws Exception {
        CliHarness.Result result = cli.run("read", ACCOUNT.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(field(result, "streamVersion")).containsExactly(1L, 2L, 3L, 4L, 5L);
        assertThat(field(result, "globalPosition")).containsExactly(1L, 3L, 5L, 6L, 7L);
    }

    @Test
    void readHonoursAfterCountAndReverse() throws Exception {
        assertThat(field(cli.run("read", ACCOUNT.toString(), "--after", "2"), "streamVersion")).containsExactly(3L, 4L, 5L);
        assertThat(field(cli.run("read", ACCOUNT.toString(), "--after", "2", "--count", "2"), "streamVersion"))
                .containsExactly(3L, 4L);
        assertThat(field(cli.run("read", ACCOUNT.toString(), "--reverse"), "streamVersion"))
                .containsExactly(5L, 4L, 3L, 2L, 1L);
        assertThat(field(cli.run("read", ACCOUNT.toString(), "--reverse", "--after", "3", "--count", "2"), "streamVersion"))
                .containsExactly(3L, 2L);
        assertThat(cli.run("read", ACCOUNT.toString(), "--after", "9").out()).isEmpty();
    }

    @Test
    void readOfAnUnknownStreamExitsWith2() {
        CliHarness.Result result = cli.run("read", "account_0190f1c2-5ad4-7b6e-9c3a-000000000000");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.STREAM_NOT_FOUND);
        assertThat(result.err()).isEqualTo("error: stream not found: account_0190f1c2-5ad4-7b6e-9c3a-000000000000\n");
        assertThat(result.out()).isEmpty();
    }

    @Test
    void readingAMissingDatabaseIsBadInputAndCreatesNothing() {
        CliHarness.Result result = cli.run("read-all", "--db", "elsewhere.db");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).isEqualTo("error: no database at elsewhere.db\n");
        assertThat(cli.stores).containsOnlyKeys(java.nio.file.Path.of(StoreOptions.DEFAULT_DB));
    }

    @Test
    void readAllPrintsTheGlobalLogFromAPosition() throws Exception {
        assertThat(field(cli.run("read-all"), "globalPosition")).containsExactly(1L, 2L, 3L, 4L, 5L, 6L, 7L);
        assertThat(field(cli.run("read-all", "--after", "5"), "globalPosition")).containsExactly(6L, 7L);
        assertThat(field(cli.run("read-all", "--after", "1", "--count", "2"), "globalPosition")).containsExactly(2L, 3L);
    }

    @Test
    void negativeNumbersAreRefused() {
        for (String[] args : List.of(
                new String[] {"read", ACCOUNT.toString(), "--after", "-1"},
                new String[] {"read", ACCOUNT.toString(), "--count", "-5"},
                new String[] {"read-all", "--after", "-1"},
                new String[] {"tail", "--after", "-1"},
                new String[] {"export", "--after", "-1"},
                new String[] {"delete", ACCOUNT.toString(), "--to-version", "0"})) {
            CliHarness.Result result = cli.run(args);
            assertThat(result.exitCode()).as(String.join(" ", args)).isEqualTo(ExitCodes.BAD_INPUT);
            assertThat(result.err().lines()).hasSize(1);
        }
        assertThat(cli.allEvents()).hasSize(7);
    }

    @Test
    void streamsListsEachStreamWithItsVersion() {
        CliHarness.Result result = cli.run("streams");

        assertThat(result.outLines()).containsExactly(
                "{\"streamId\":\"" + ACCOUNT + "\",\"version\":5}",
                "{\"streamId\":\"" + ORDER + "\",\"version\":2}");
    }

    @Test
    void controlCharactersFromTheStoreAreShownEscapedInTablesAndErrors() {
        TypeId odd = TypeId.parse("odd_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a");
        cli.defaultStore().appendStream(odd, List.of(WritableEvent.json("e\u001b[31mvil\nline", "{}")));

        CliHarness.Result table = cli.run("read", odd.toString(), "--format", "table");

        assertThat(table.exitCode()).isZero();
        assertThat(table.outLines()).hasSize(2);
        assertThat(table.out()).doesNotContain("\u001b").contains("e\\u001b[31mvil\\nline");

        CliHarness.Result missing = cli.run("read", "e\u001b[31mvil_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a");
        assertThat(missing.exitCode()).isEqualTo(ExitCodes.STREAM_NOT_FOUND);
        assertThat(missing.err()).doesNotContain("\u001b").contains("e\\u001b[31mvil");
    }

    @Test
    void tablesAreAlignedForPeople() {
        CliHarness.Result streams = cli.run("streams", "--format", "table");
        assertThat(streams.outLines()).containsExactly(
                "STREAM                                        VERSION",
                ACCOUNT + "        5",
                ORDER + "          2");

        CliHarness.Result events = cli.run("read", ORDER.toString(), "--format", "table");
        List<String> lines = events.outLines();
        assertThat(lines).hasSize(3);
        assertThat(lines.get(0)).startsWith("POSITION  STREAM").contains("VERSION  TYPE", "TIME", "METADATA", "DATA");
        assertThat(lines.get(1)).startsWith("       2  " + ORDER + "        1  order_placed  ").endsWith("{\"o\":1}");
        assertThat(lines.get(2)).startsWith("       4  " + ORDER + "        2  order_placed  ").endsWith("{\"o\":2}");
        int dataColumn = lines.get(0).lastIndexOf("DATA");
        assertThat(lines.get(1).indexOf("{\"o\"")).isEqualTo(dataColumn);
        assertThat(lines.get(2).indexOf("{\"o\"")).isEqualTo(dataColumn);
    }

    @Test
    void emptyTablesSaySo() {
        assertThat(cli.run("read", ACCOUNT.toString(), "--after", "5", "--format", "TABLE").out()).isEqualTo("(no events)\n");
        assertThat(cli.run("streams", "--format", "table", "--db", "other.db").exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        cli.store("empty.db");
        assertThat(cli.run("streams", "--format", "table", "--db", "empty.db").out()).isEqualTo("(no streams)\n");
    }

    @Test
    void deleteRemovesAStream() {
        CliHarness.Result result = cli.run("delete", ORDER.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("deleted stream " + ORDER + "\n");
        assertThat(cli.run("read", ORDER.toString()).exitCode()).isEqualTo(ExitCodes.STREAM_NOT_FOUND);
        assertThat(cli.run("delete", ORDER.toString()).exitCode()).isEqualTo(ExitCodes.STREAM_NOT_FOUND);
    }

    @Test
    void deletingAStreamWholeDeletesItsSnapshotsAndTruncatingKeepsThem() {
        var snapshots = cli.snapshots(StoreOptions.DEFAULT_DB);
        TypeId sameUuidOtherType = new TypeId("ledger", ORDER.uuid());
        for (TypeId id : List.of(ORDER, ACCOUNT, sameUuidOtherType)) {
            snapshots.write(new Snapshot(id, 2, Instant.EPOCH, new byte[] {1}, ""));
        }

        assertThat(cli.run("delete", ACCOUNT.toString(), "--to-version", "3").exitCode()).isZero();
        CliHarness.Result result = cli.run("delete", ORDER.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("deleted stream " + ORDER + " and its snapshots\n");
        assertThat(snapshots.read(ORDER)).isEmpty();
        assertThat(snapshots.read(ACCOUNT)).as("kept by the truncation").isPresent();
        assertThat(snapshots.read(sameUuidOtherType)).as("another aggregate's").isPresent();
    }

    @Test
    void deletingAStreamWholeDeletesTheSnapshotsKeptAsAParallelStreamToo() {
        var parallel = EventStreamSnapshotStore.create(cli.defaultStore());
        parallel.write(new Snapshot(ORDER, 2, Instant.EPOCH, new byte[] {1}, ""));

        CliHarness.Result result = cli.run("delete", ORDER.toString());

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("deleted stream " + ORDER + " and its snapshots\n");
        assertThat(parallel.read(ORDER)).as("the snapshots in estoria.snapshot.order_...").isEmpty();
    }

    @Test
    void snapshotsLeftOfAStreamDeletedEarlierAreDeletedThoughTheStreamIsNotFound() {
        cli.defaultStore().deleteStream(ORDER, DeleteStreamOptions.wholeStream());
        var snapshots = cli.snapshots(StoreOptions.DEFAULT_DB);
        snapshots.write(new Snapshot(ORDER, 2, Instant.EPOCH, new byte[] {1}, ""));

        CliHarness.Result result = cli.run("delete", ORDER.toString());

        assertThat(result.exitCode()).as("the stream does not exist").isEqualTo(ExitCodes.STREAM_NOT_FOUND);
        assertThat(snapshots.read(ORDER)).as("its snapshots, left by an earlier deletion").isEmpty();
        assertThat(result.out()).isEqualTo("deleted the snapshots of " + ORDER + ", whose stream does not exist\n");
    }

    @Test
    void aFailedSnapshotDeletionOfAMissingStreamIsSaidAndTheExitCodeStillSaysNotFound() {
        var snapshots = cli.snapshots(StoreOptions.DEFAULT_DB);
        SnapshotStore failing = new SnapshotStore() {
            @Override
            public Optional<Snapshot> read(TypeId aggregateId, long maxVersion) {
                return snapshots.read(aggregateId, maxVersion);
            }

            @Override
            public void write(Snapshot snapshot) {
                snapshots.write(snapshot);
            }

            @Override
            public boolean delete(TypeId aggregateId) {
                throw new EventStoreException("the snapshot table is out of reach");
            }
        };
        InMemoryEventStore store = cli.defaultStore();
        cli.opener = (target, mode) -> CliStore.of(store, cli.checkpoints(StoreOptions.DEFAULT_DB), failing, () -> { });
        store.deleteStream(ORDER, DeleteStreamOptions.wholeStream());

        CliHarness.Result result = cli.run("delete", ORDER.toString());

        assertThat(result.exitCode()).as("the stream does not exist").isEqualTo(ExitCodes.STREAM_NOT_FOUND);
        assertThat(result.err()).contains("could not delete the snapshots of " + ORDER + ": the snapshot table is out of reach")
                .contains("not found");
    }

    @Test
    void deleteToVersionTruncatesAndKeepsTheVersion() throws Exception {
        CliHarness.Result result = cli.run("delete", ACCOUNT.toString(), "--to-version", "3");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("truncated stream " + ACCOUNT + ": removed its events up to version 3\n");
        assertThat(field(cli.run("read", ACCOUNT.toString()), "streamVersion")).containsExactly(4L, 5L);
        assertThat(cli.run("streams").outLines()).contains("{\"streamId\":\"" + ACCOUNT + "\",\"version\":5}");
    }

    @Test
    void truncatingPastTheNewestEventSaysItRemovedThemAll() {
        CliHarness.Result result = cli.run("delete", ACCOUNT.toString(), "--to-version", "99");

        assertThat(result.exitCode()).isZero();
        assertThat(result.out()).isEqualTo("truncated stream " + ACCOUNT + ": removed all its events, up to its version 5;"
                + " the stream stays, and its next event will be version 6\n");
        assertThat(cli.run("streams").outLines()).contains("{\"streamId\":\"" + ACCOUNT + "\",\"version\":5}");
        assertThat(cli.run("append", ACCOUNT.toString(), "--type", "t", "--data", "{}", "--expect-version", "5")
                .exitCode()).isZero();
    }
}
