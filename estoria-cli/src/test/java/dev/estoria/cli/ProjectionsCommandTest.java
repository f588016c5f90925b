package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.projection.InMemoryCheckpointStore;
import dev.estoria.projection.ProjectionId;
import dev.estoria.typeid.TypeId;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class ProjectionsCommandTest {

    static final TypeId ACCOUNT = TypeId.parse("account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a");
    static final TypeId SNAPSHOT = TypeId.parse("estoria.snapshot_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7c");

    final CliHarness cli = new CliHarness();
    InMemoryEventStore store;
    InMemoryCheckpointStore checkpoints;

    @BeforeEach
    void tenEventsOneOfThemInternal() {
        store = cli.defaultStore();
        checkpoints = cli.checkpoints(StoreOptions.DEFAULT_DB);
        for (int i = 1; i <= 10; i++) {
            store.appendStream(i == 7 ? SNAPSHOT : ACCOUNT, List.of(WritableEvent.json("counted", "{}")));
        }
    }

    /** The harness's clock, {@code ahead} after now. */
    void clockAhead(Duration ahead) {
        cli.clock = Clock.fixed(Instant.now().plus(ahead), ZoneOffset.UTC);
    }

    @Test
    void listsEachProjectionWithItsPositionLagAndState() {
        checkpoints.save(ProjectionId.of("balances", 1), 10);
        checkpoints.save(ProjectionId.of("balances", 2), 4);
        checkpoints.save(ProjectionId.of("audit", 1), 0);
        clockAhead(Duration.ofSeconds(30));

        CliHarness.Result result = cli.run("projections");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.outLines()).hasSize(3);
        // Lag counts application events only: the snapshot at position 7 is not behind anyone.
        assertThat(result.outLines().get(0)).startsWith(
                "{\"projection\":\"audit_v1\",\"name\":\"audit\",\"version\":1,\"position\":0,\"lag\":9,\"lagCapped\":false,"
                        + "\"updatedAt\":\"").endsWith("\"ageSeconds\":30,\"state\":\"live\"}");
        assertThat(result.outLines().get(1)).contains("\"projection\":\"balances_v1\"", "\"position\":10,\"lag\":0,");
        assertThat(result.outLines().get(2)).contains("\"projection\":\"balances_v2\"", "\"position\":4,\"lag\":5,");
    }

    @Test
    void aCheckpointNotSavedWithinTheLastMinuteIsStale() {
        checkpoints.save(ProjectionId.of("balances", 1), 10);

        clockAhead(Duration.ofSeconds(90));
        CliHarness.Result later = cli.run("projections", "--format", "table");
        CliHarness.Result lenient = cli.run("projections", "--format", "table", "--live-within", "120");

        assertThat(later.outLines()).hasSize(2);
        assertThat(later.outLines().get(0)).isEqualTo("PROJECTION   POSITION  LAG  UPDATED               AGE  STATE");
        assertThat(later.outLines().get(1)).matches("balances_v1        10    0  \\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ  90s  stale");
        assertThat(lenient.outLines().get(1)).endsWith("  90s  live");
    }

    @Test
    void lagIsCountedUpToACap() {
        checkpoints.save(ProjectionId.of("slow", 1), 0);
        checkpoints.save(ProjectionId.of("quick", 1), 5);

        CliHarness.Result result = cli.run("projections", "--format", "table", "--lag-cap", "4");

        assertThat(result.out()).containsPattern("quick_v1 +5 +4  ").containsPattern("slow_v1 +0 +4\\+  ");
        assertThat(cli.run("projections", "--lag-cap", "8").out()).contains(
                "\"projection\":\"slow_v1\",\"name\":\"slow\",\"version\":1,\"position\":0,\"lag\":8,\"lagCapped\":true",
                "\"projection\":\"quick_v1\",\"name\":\"quick\",\"version\":1,\"position\":5,\"lag\":4,\"lagCapped\":false");
        assertThat(cli.run("projections", "--lag-cap", "0").exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
    }

    @Test
    void withoutCheckpointsItSaysSo() {
        assertThat(cli.run("projections").out()).isEmpty();
        assertThat(cli.run("projections", "--format", "table").out()).isEqualTo("(no projections)\n");
    }

    @Test
    void aMissingDatabaseIsBadInput() {
        CliHarness.Result result = cli.run("projections", "--db", "missing.db");

        assertThat(result.exitCode()).isEqualTo(ExitCodes.BAD_INPUT);
        assertThat(result.err()).isEqualTo("error: no database at missing.db\n");
    }

    @Test
    void agesAreShortForPeople() {
        assertThat(ProjectionsCommand.age(Duration.ofSeconds(-3))).isEqualTo("0s");
        assertThat(ProjectionsCommand.age(Duration.ofSeconds(119))).isEqualTo("119s");
        assertThat(ProjectionsCommand.age(Duration.ofMinutes(5))).isEqualTo("5m");
        assertThat(ProjectionsCommand.age(Duration.ofHours(3))).isEqualTo("3h");
        assertThat(ProjectionsCommand.age(Duration.ofDays(12))).isEqualTo("12d");
    }
}
