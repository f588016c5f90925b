package dev.estoria.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.estoria.cli.format.EventTable;
import dev.estoria.cli.format.Json;
import dev.estoria.cli.format.Table;
import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.CommandLine.Command;

/**
 * {@code demo}: writes a small bank-account history to new streams, shows it, rebuilds each
 * account's balance from its events, and suggests commands to try next.
 *
 * <p>Each run adds three new accounts (fresh stream IDs), so it works on an empty store and on one
 * that holds anything else, and never touches other streams. Every append states the version it
 * expects, as an application would.
 */
@Command(name = "demo",
        description = "Write a small bank-account history to the database, show it, and suggest what to try next.")
final class DemoCommand extends StoreCommand {

    static final String STREAM_TYPE = "account";

    /** One step of an account's life: an event type and its JSON data. */
    private record Step(String type, String json, String channel) {}

    private record Account(String owner, String currency, List<Step> steps) {}

    private static List<Account> accounts() {
        return List.of(
                new Account("Ada Lovelace", "EUR", List.of(
                        opened("Ada Lovelace", "EUR"),
                        deposited("2500.00", "EUR", "salary"),
                        withdrawn("120.40", "EUR", "groceries"),
                        withdrawn("950.00", "EUR", "rent"))),
                new Account("Grace Hopper", "USD", List.of(
                        opened("Grace Hopper", "USD"),
                        deposited("400.00", "USD", "transfer from savings"),
                        withdrawn("75.25", "USD", "books"),
                        deposited("1000.00", "USD", "bonus"))),
                new Account("Alan Turing", "GBP", List.of(
                        opened("Alan Turing", "GBP"),
                        deposited("300.00", "GBP", "cash"),
                        withdrawn("300.00", "GBP", "moving abroad"),
                        new Step("account_closed", "{\"reason\":\"customer request\"}", "branch"))));
    }

    private static Step opened(String owner, String currency) {
        return new Step("account_opened", "{\"owner\":\"" + owner + "\",\"currency\":\"" + currency + "\"}", "branch");
    }

    private static Step deposited(String amount, String currency, String memo) {
        return new Step("funds_deposited", money(amount, currency, memo), "mobile");
    }

    private static Step withdrawn(String amount, String currency, String memo) {
        return new Step("funds_withdrawn", money(amount, currency, memo), "card");
    }

    private static String money(String amount, String currency, String memo) {
        return "{\"amount\":\"" + amount + "\",\"currency\":\"" + currency + "\",\"memo\":\"" + memo + "\"}";
    }

    @Override
    public Integer call() {
        List<Account> accounts = accounts();
        List<TypeId> streams = new ArrayList<>();
        List<Event> written = new ArrayList<>();
        List<String[]> balances = new ArrayList<>();
        try (CliStore store = open(OpenMode.CREATE_IF_MISSING)) {
            for (int i = 0; i < accounts.size(); i++) {
                streams.add(TypeId.newV7(STREAM_TYPE));
            }
            // Interleave the accounts, as their owners would act, so the global log mixes streams.
            int rounds = accounts.stream().mapToInt(a -> a.steps().size()).max().orElse(0);
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < accounts.size(); i++) {
                    List<Step> steps = accounts.get(i).steps();
                    if (round < steps.size()) {
                        Step step = steps.get(round);
                        WritableEvent event = WritableEvent.json(step.type(), step.json())
                                .withMetadata(Map.of("channel", step.channel()));
                        written.addAll(store.appendStream(streams.get(i), List.of(event),
                                AppendStreamOptions.expectingVersion(round)));
                    }
                }
            }
            for (int i = 0; i < accounts.size(); i++) {
                balances.add(replay(store, streams.get(i)));
            }
        }

        PrintWriter out = out();
        out.println("Wrote " + written.size() + " events to " + accounts.size() + " new bank accounts (streams of type \""
                + STREAM_TYPE + "\") in " + storeOptions().db + ".");
        out.println();
        Table events = Table.of(out, ">POSITION", "ACCOUNT", ">VERSION", "TYPE", "DATA");
        for (Event event : written) {
            String owner = accounts.get(streams.indexOf(event.streamId())).owner();
            events.row(Long.toString(event.globalPosition().orElse(0)), owner, Long.toString(event.streamVersion()),
                    event.type(), EventTable.preview(event.data(), event.contentType()));
        }
        events.finish("(no events)");
        out.println();
        out.println("Each account's state, rebuilt by replaying its events:");
        out.println();
        Table state = Table.of(out, "STREAM", "OWNER", "STATUS", ">BALANCE");
        balances.forEach(state::row);
        state.finish("(no accounts)");
        out.println();
        hints(out, streams.get(0), accounts.get(0).currency(), accounts.get(0).steps().size());
        return ExitCodes.OK;
    }

    /** Folds an account's events, read back from the store, into its current state. */
    private static String[] replay(CliStore store, TypeId stream) {
        String owner = "";
        String currency = "";
        String status = "open";
        BigDecimal balance = BigDecimal.ZERO;
        try (StreamIterator events = store.readStream(stream, ReadStreamOptions.forward())) {
            for (Event event : events) {
                JsonNode data = Json.parse(new String(event.data(), StandardCharsets.UTF_8));
                switch (event.type()) {
                    case "account_opened" -> {
                        owner = data.path("owner").asText();
                        currency = data.path("currency").asText();
                    }
                    case "funds_deposited" -> balance = balance.add(new BigDecimal(data.path("amount").asText()));
                    case "funds_withdrawn" -> balance = balance.subtract(new BigDecimal(data.path("amount").asText()));
                    case "account_closed" -> status = "closed";
                    default -> { }
                }
            }
        }
        return new String[] {stream.toString(), owner, status, balance.toPlainString() + " " + currency};
    }

    private void hints(PrintWriter out, TypeId stream, String currency, int version) {
        String program = environment().programName();
        String db = storeOptions().asArgument();
        String id = stream.toString();
        String deposit = "{\"amount\":\"25.00\",\"currency\":\"" + currency + "\",\"memo\":\"gift\"}";
        List<String[]> commands = List.of(
                new String[] {program + " streams --format table" + db, "every stream and its version"},
                new String[] {program + " read " + id + " --format table" + db, "one account's history"},
                new String[] {program + " read " + id + db, "the same as NDJSON, for jq and friends"},
                new String[] {program + " append " + id + " --type funds_deposited --data " + Shell.quote(deposit)
                        + " --expect-version " + version + db,
                        "add an event; run it twice to see the version check fail (exit code 3)"},
                new String[] {program + " read-all --format table" + db, "every event in global order"},
                new String[] {program + " tail --after 0" + db, "follow new events as they arrive (Ctrl-C to stop)"},
                new String[] {program + " export" + db + " > backup.ndjson", "everything as NDJSON"},
                new String[] {program + " import backup.ndjson --db copy.db", "restore it elsewhere; a second import writes nothing"});
        out.println("Try next:");
        for (String[] command : commands) {
            out.println("  " + command[0]);
            out.println("      " + command[1]);
        }
    }
}
