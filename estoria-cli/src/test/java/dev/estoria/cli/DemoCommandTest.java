package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoCommandTest {

    final CliHarness cli = new CliHarness();

    @Test
    void writesAndShowsABankHistoryOnAnEmptyDatabase() {
        CliHarness.Result result = cli.run("demo");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.err()).isEmpty();
        List<StreamInfo> streams = cli.defaultStore().listStreams();
        assertThat(streams).hasSize(3).allSatisfy(s -> {
            assertThat(s.streamId().type()).isEqualTo("account");
            assertThat(s.version()).isEqualTo(4);
        });
        List<Event> events = cli.allEvents();
        assertThat(events).hasSize(12).allSatisfy(e -> assertThat(e.contentType()).isEqualTo("application/json"));
        assertThat(events).extracting(Event::type).contains(
                "account_opened", "funds_deposited", "funds_withdrawn", "account_closed");

        String out = result.out();
        assertThat(out).startsWith("Wrote 12 events to 3 new bank accounts (streams of type \"account\") in ./estoria.db.\n");
        assertThat(out).contains("POSITION  ACCOUNT       VERSION  TYPE             DATA\n");
        assertThat(out).contains("       1  Ada Lovelace        1  account_opened   {\"owner\":\"Ada Lovelace\",\"currency\":\"EUR\"}\n");
        assertThat(out).containsPattern("account_\\S+  Ada Lovelace  open    1429.60 EUR\n");
        assertThat(out).containsPattern("account_\\S+  Grace Hopper  open    1324.75 USD\n");
        assertThat(out).containsPattern("account_\\S+  Alan Turing   closed     0.00 GBP\n");
        assertThat(out).contains("Try next:\n", "estoria streams --format table\n", "estoria tail --after 0\n");
    }

    @Test
    void itsSuggestedAppendWorksOnceAndThenFailsTheVersionCheck() {
        String out = cli.run("demo").out();
        String suggestion = out.lines().filter(l -> l.contains(" append ")).findFirst().orElseThrow().strip();
        TypeId stream = TypeId.parse(suggestion.split(" ")[2]);
        assertThat(suggestion).endsWith("--data '{\"amount\":\"25.00\",\"currency\":\"EUR\",\"memo\":\"gift\"}' --expect-version 4");

        String[] args = {"append", stream.toString(), "--type", "funds_deposited",
            "--data", "{\"amount\":\"25.00\",\"currency\":\"EUR\",\"memo\":\"gift\"}", "--expect-version", "4"};
        assertThat(cli.run(args).exitCode()).isZero();
        assertThat(cli.run(args).exitCode()).isEqualTo(ExitCodes.VERSION_MISMATCH);
    }

    @Test
    void addsNewAccountsToAnExistingDatabaseAndLeavesOtherStreamsAlone() {
        TypeId other = TypeId.parse("order_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a");
        cli.defaultStore().appendStream(other, List.of(WritableEvent.json("order_placed", "{}")));

        assertThat(cli.run("demo").exitCode()).isZero();
        CliHarness.Result again = cli.run("demo");

        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).contains("     14  Ada Lovelace        1  account_opened");
        assertThat(cli.defaultStore().listStreams()).hasSize(7).contains(new StreamInfo(other, 1));
    }

    @Test
    void hintsNameTheDatabaseWhenItIsNotTheDefault() {
        CliHarness.Result result = cli.run("demo", "--db", "my bank.db");

        assertThat(result.out()).contains("in my bank.db.", "estoria read-all --format table --db 'my bank.db'\n");
    }
}
