package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.examples.bank.BankAccounts;
import dev.estoria.typeid.TypeId;
import java.util.List;
import org.junit.jupiter.api.Test;

class DemoCommandTest {

    final CliHarness cli = new CliHarness();

    @Test
    void writesTheBankHistoryThroughTheAggregateAndShowsItAsItIsNow() {
        CliHarness.Result result = cli.run("demo");

        assertThat(result.exitCode()).as(result.err()).isZero();
        assertThat(result.err()).isEmpty();
        List<StreamInfo> streams = cli.defaultStore().listStreams();
        assertThat(streams).hasSize(3).allSatisfy(s -> assertThat(s.streamId().type()).isEqualTo("account"));
        assertThat(streams).extracting(StreamInfo::version).containsExactlyInAnyOrder(4L, 5L, 4L);
        List<Event> events = cli.allEvents();
        assertThat(events).hasSize(13).allSatisfy(e -> assertThat(e.contentType()).isEqualTo("application/json"));
        assertThat(events).extracting(Event::type).containsOnly(
                "accountopened", "moneydeposited", "moneywithdrawn", "accountclosed");

        String out = result.out();
        assertThat(out).startsWith("Wrote 13 events for 3 new bank accounts to ./estoria.db,\n");
        assertThat(out).contains("""
                One command was refused by the account's rules, so nothing was recorded for it:
                  Grace Hopper: withdraw 2000.00: refused, the balance of 1324.75 would fall below the overdraft limit of 500.00
                """);
        assertThat(out).contains("POSITION  ACCOUNT       VERSION  TYPE              AMOUNT  DATA\n");
        assertThat(out).contains(
                "       1  Ada Lovelace        1  accountopened             {\"owner\":\"Ada Lovelace\",\"overdraftLimit\":10000}\n",
                "       4  Ada Lovelace        2  moneydeposited  +2500.00  {\"amount\":250000}\n",
                "      11  Grace Hopper        4  moneywithdrawn   -600.00  {\"amount\":60000}\n",
                "      12  Alan Turing         4  accountclosed             {\"reason\":\"moving abroad\"}\n",
                "      13  Grace Hopper        5  moneydeposited  +1600.00  {\"amount\":160000}\n");
        assertThat(out).contains("STREAM                                        OWNER         STATUS  VERSION  BALANCE  OVERDRAFT LIMIT\n");
        assertThat(out).containsPattern("account_\\S+  Ada Lovelace  open          4  1429.60           100.00\n");
        assertThat(out).containsPattern("account_\\S+  Grace Hopper  open          5  1324.75           500.00\n");
        assertThat(out).containsPattern("account_\\S+  Alan Turing   closed        4     0.00             0.00\n");
        assertThat(out).contains("Try next:\n", "estoria streams --format table\n",
                "estoria read-all --event-type moneywithdrawn --format table\n",
                "estoria tail --after 0 --stream-type account\n", "estoria projections --format table\n");
    }

    @Test
    void theStateItShowsIsWhatTheAggregateStoreLoads() {
        cli.run("demo");

        BankAccounts bank = new BankAccounts(cli.defaultStore());
        List<Long> balances = cli.defaultStore().listStreams().stream()
                .map(s -> bank.get(s.streamId().uuid()).balance()).toList();
        assertThat(balances).containsExactlyInAnyOrder(1429_60L, 1324_75L, 0L);
    }

    @Test
    void itsSuggestedCommandsWork() {
        String out = cli.run("demo").out();
        String append = suggestion(out, " append ");
        TypeId stream = TypeId.parse(append.split(" ")[2]);
        assertThat(append).endsWith("--type moneydeposited --data '{\"amount\":2500}' --expect-version 4");

        String[] args = {"append", stream.toString(), "--type", "moneydeposited", "--data", "{\"amount\":2500}",
            "--expect-version", "4"};
        assertThat(cli.run(args).exitCode()).isZero();
        assertThat(cli.run(args).exitCode()).isEqualTo(ExitCodes.VERSION_MISMATCH);
        assertThat(new BankAccounts(cli.defaultStore()).get(stream.uuid()).balance()).isEqualTo(1429_60L + 25_00L);

        CliHarness.Result withdrawals = cli.run(shellWords(suggestion(out, " read-all ")));
        assertThat(withdrawals.exitCode()).isZero();
        assertThat(withdrawals.outLines()).hasSize(1 + 5).allSatisfy(line ->
                assertThat(line).matches("POSITION.*|\\s+\\d+  account_\\S+\\s+\\d  moneywithdrawn .*"));
        assertThat(cli.run(shellWords(suggestion(out, " projections "))).out()).isEqualTo("(no projections)\n");
    }

    @Test
    void addsNewAccountsToAnExistingDatabaseAndLeavesOtherStreamsAlone() {
        TypeId other = TypeId.parse("order_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a");
        cli.defaultStore().appendStream(other, List.of(WritableEvent.json("order_placed", "{}")));

        assertThat(cli.run("demo").exitCode()).isZero();
        CliHarness.Result again = cli.run("demo");

        assertThat(again.exitCode()).isZero();
        assertThat(again.out()).contains("Wrote 13 events", "     15  Ada Lovelace        1  accountopened");
        assertThat(again.out()).doesNotContain("order_placed");
        assertThat(cli.defaultStore().listStreams()).hasSize(7).contains(new StreamInfo(other, 1));
    }

    @Test
    void hintsNameTheStoreWhenItIsNotTheDefault() {
        CliHarness.Result result = cli.run("demo", "--db", "my bank.db");

        assertThat(result.out()).contains("to my bank.db,", "estoria read-all --event-type moneywithdrawn --format table"
                + " --db 'my bank.db'\n");

        CliHarness.Result postgres = cli.run("demo", "--postgres", "jdbc:postgresql://db:5432/bank?user=u", "--schema", "s1");

        assertThat(postgres.out()).contains("to schema s1 at jdbc:postgresql://db:5432/bank,",
                "estoria streams --format table --postgres 'jdbc:postgresql://db:5432/bank?user=u' --schema s1\n");
    }

    @Test
    void moneyIsPrintedFromCents() {
        assertThat(DemoCommand.money(142960)).isEqualTo("1429.60");
        assertThat(DemoCommand.money(-27525)).isEqualTo("-275.25");
        assertThat(DemoCommand.money(5)).isEqualTo("0.05");
        assertThat(DemoCommand.money(0)).isEqualTo("0.00");
    }

    static String suggestion(String out, String command) {
        return out.lines().filter(l -> l.contains(command)).findFirst().orElseThrow().strip();
    }

    /** The words of a suggested command without the program name; the suggestions quote nothing here. */
    static String[] shellWords(String suggestion) {
        String[] words = suggestion.split(" ");
        return java.util.Arrays.copyOfRange(words, 1, words.length);
    }
}
