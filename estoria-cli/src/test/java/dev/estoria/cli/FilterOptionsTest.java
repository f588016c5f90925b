package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.estoria.cli.store.CliStore;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.EventStoreDecorator;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** --stream-type and --event-type of read-all: filters the store evaluates. */
class FilterOptionsTest {

    static final TypeId ACCOUNT = TypeId.parse("account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a");
    static final TypeId ORDER = TypeId.parse("order_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7b");
    static final TypeId SNAPSHOT = TypeId.parse("estoria.snapshot_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7c");
    static final ObjectMapper JSON = new ObjectMapper();

    final CliHarness cli = new CliHarness();
    final List<ReadAllOptions> reads = new CopyOnWriteArrayList<>();

    @BeforeEach
    void aMixedLogThroughAStoreThatRecordsItsReads() {
        InMemoryEventStore store = cli.defaultStore();
        store.appendStream(ACCOUNT, List.of(WritableEvent.json("moneydeposited", "{}")));   // 1
        store.appendStream(ORDER, List.of(WritableEvent.json("orderplaced", "{}")));        // 2
        store.appendStream(ACCOUNT, List.of(WritableEvent.json("moneywithdrawn", "{}")));   // 3
        store.appendStream(SNAPSHOT, List.of(WritableEvent.json("moneydeposited", "{}")));  // 4
        store.appendStream(ACCOUNT, List.of(WritableEvent.json("moneydeposited", "{}")));   // 5
        store.appendStream(ORDER, List.of(WritableEvent.json("ordershipped", "{}")));       // 6
        EventStoreDecorator recording = new EventStoreDecorator(store) {
            @Override
            public StreamIterator readAll(ReadAllOptions options) {
                reads.add(options);
                return super.readAll(options);
            }
        };
        cli.opener = (target, mode) -> CliStore.of(recording, cli.checkpoints("x"), cli.snapshots("x"), () -> { });
    }

    List<Long> positions(String... args) throws Exception {
        CliHarness.Result result = cli.run(args);
        assertThat(result.exitCode()).as(result.err()).isZero();
        List<Long> positions = new ArrayList<>();
        for (String line : result.outLines()) {
            positions.add(JSON.readTree(line).get("globalPosition").asLong());
        }
        return positions;
    }

    @Test
    void withoutFiltersReadAllPrintsEverythingInternalStreamsIncluded() throws Exception {
        assertThat(positions("read-all")).containsExactly(1L, 2L, 3L, 4L, 5L, 6L);
        assertThat(reads.getFirst().filter()).isEqualTo(EventFilter.all());
    }

    @Test
    void streamAndEventTypesSelectEventsAndReachTheStore() throws Exception {
        assertThat(positions("read-all", "--stream-type", "order")).containsExactly(2L, 6L);
        assertThat(positions("read-all", "--event-type", "moneydeposited")).containsExactly(1L, 4L, 5L);
        assertThat(positions("read-all", "--event-type", "moneydeposited", "--event-type", "ordershipped"))
                .containsExactly(1L, 4L, 5L, 6L);
        assertThat(positions("read-all", "--stream-type", "account", "--event-type", "moneydeposited"))
                .containsExactly(1L, 5L);
        assertThat(positions("read-all", "--stream-type", "estoria.snapshot")).containsExactly(4L);

        assertThat(reads.get(3).filter()).isEqualTo(
                new EventFilter(Set.of("account"), Set.of("moneydeposited"), true));
    }

    @Test
    void countAndAfterApplyToTheSelectedEvents() throws Exception {
        assertThat(positions("read-all", "--stream-type", "account", "--count", "2")).containsExactly(1L, 3L);
        assertThat(positions("read-all", "--stream-type", "account", "--after", "3")).containsExactly(5L);
    }

    @Test
    void invalidTypeNamesAreRefusedBeforeTheStoreIsOpened() {
        CliHarness.Result result = cli.run("read-all", "--event-type", "_bad");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).isEqualTo("error: --event-type: invalid type name \"_bad\": must not start with '_'\n");
        assertThat(cli.run("tail", "--stream-type", "").exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(reads).isEmpty();
    }
}
