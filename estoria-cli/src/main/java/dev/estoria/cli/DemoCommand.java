package dev.estoria.cli;

import com.fasterxml.jackson.databind.JsonNode;
import dev.estoria.aggregate.Aggregate;
import dev.estoria.cli.format.EventTable;
import dev.estoria.cli.format.Json;
import dev.estoria.cli.format.Table;
import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.cli.store.StoreTarget;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.examples.bank.Account;
import dev.estoria.examples.bank.AccountEvent;
import dev.estoria.examples.bank.BankAccounts;
import dev.estoria.examples.bank.BankException;
import dev.estoria.typeid.TypeId;
import java.io.PrintWriter;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import picocli.CommandLine.Command;

/**
 * {@code demo}: runs the bank account example ({@link BankAccounts}) against the store, so its
 * history is written through the aggregate layer, then shows the global log and each account as it
 * is now, loaded through the aggregate store, and suggests commands to try next.
 *
 * <p>Three accounts are opened, take deposits and withdrawals (one into its overdraft), one
 * withdrawal beyond the overdraft limit is refused by the aggregate's rule (and records nothing),
 * and one account is closed. Each run opens three new accounts (fresh stream IDs), so it works on an
 * empty store and on one that holds anything else, and never touches other streams.
 */
@Command(name = "demo",
        description = "Run the bank account example against the store, show its history and accounts, "
                + "and suggest what to try next.")
final class DemoCommand extends StoreCommand {

    static final String STREAM_TYPE = BankAccounts.TYPE.name();

    /** How long the demo waits, at most, for its events to reach a global log that holds them back. */
    private static final Duration FEED_WAIT = Duration.ofSeconds(10);

    /** One command an account holder gives the bank. */
    private sealed interface Step {
        /** Gives the command; a refused one throws {@link BankException}. */
        void run(BankAccounts bank, UUID account);

        /** The command in words, for the refusal message. */
        String describe();
    }

    private record Deposit(long cents) implements Step {
        @Override
        public void run(BankAccounts bank, UUID account) {
            bank.deposit(account, cents);
        }

        @Override
        public String describe() {
            return "deposit " + money(cents);
        }
    }

    private record Withdraw(long cents) implements Step {
        @Override
        public void run(BankAccounts bank, UUID account) {
            bank.withdraw(account, cents);
        }

        @Override
        public String describe() {
            return "withdraw " + money(cents);
        }
    }

    private record Close(String reason) implements Step {
        @Override
        public void run(BankAccounts bank, UUID account) {
            bank.close(account, reason);
        }

        @Override
        public String describe() {
            return "close the account";
        }
    }

    /** A customer, the overdraft limit they get, and what they do after opening, in order. */
    private record Customer(String owner, long overdraftLimit, List<Step> steps) {}

    private static List<Customer> customers() {
        return List.of(
                new Customer("Ada Lovelace", 100_00, List.of(
                        new Deposit(2500_00), new Withdraw(120_40), new Withdraw(950_00))),
                new Customer("Grace Hopper", 500_00, List.of(
                        new Deposit(400_00), new Withdraw(75_25), new Withdraw(600_00), new Deposit(1600_00),
                        new Withdraw(2000_00))),
                new Customer("Alan Turing", 0, List.of(
                        new Deposit(300_00), new Withdraw(300_00), new Close("moving abroad"))));
    }

    /** A command the bank refused, and why, in the words of the demo. */
    private record Refusal(String owner, String command, String reason) {}

    @Override
    public Integer call() {
        List<Customer> customers = customers();
        List<UUID> ids = new ArrayList<>();
        List<Refusal> refusals = new ArrayList<>();
        Log log;
        List<String[]> accountRows = new ArrayList<>();
        try (CliStore store = open(OpenMode.CREATE_IF_MISSING)) {
            BankAccounts bank = new BankAccounts(store);
            for (Customer customer : customers) {
                ids.add(bank.open(customer.owner(), customer.overdraftLimit()));
            }
            // Take turns, as customers would, so the global log mixes the accounts' streams.
            int rounds = customers.stream().mapToInt(c -> c.steps().size()).max().orElse(0);
            for (int round = 0; round < rounds; round++) {
                for (int i = 0; i < customers.size(); i++) {
                    List<Step> steps = customers.get(i).steps();
                    if (round < steps.size()) {
                        Step step = steps.get(round);
                        Account before = bank.get(ids.get(i));
                        try {
                            step.run(bank, ids.get(i));
                        } catch (BankException refused) {
                            refusals.add(new Refusal(customers.get(i).owner(), step.describe(), reason(step, before)));
                        }
                    }
                }
            }
            log = globalLog(store, ids);
            for (UUID id : ids) {
                Aggregate<Account, AccountEvent> account = bank.store().load(id);
                Account state = account.state();
                accountRows.add(new String[] {account.id().toString(), state.owner(), state.open() ? "open" : "closed",
                        Long.toString(account.version()), money(state.balance()), money(state.overdraftLimit())});
            }
        }
        print(customers, ids, refusals, log, accountRows);
        return ExitCodes.OK;
    }

    /** Why the bank refused a step, with amounts as money; the aggregate's own message uses cents. */
    private static String reason(Step step, Account before) {
        if (step instanceof Withdraw withdraw && !before.canWithdraw(withdraw.cents())) {
            return "the balance of " + money(before.balance()) + " would fall below the overdraft limit of "
                    + money(before.overdraftLimit());
        }
        return "the bank's rules do not allow it";
    }

    /**
     * The events of the demo's accounts in global order, read from the global log with a filter the
     * store evaluates: from the first of them on, streams of the account type, keeping the demo's own.
     */
    private Log globalLog(CliStore store, List<UUID> ids) {
        List<TypeId> streams = ids.stream().map(id -> TypeId.of(STREAM_TYPE, id)).toList();
        long first = Long.MAX_VALUE;
        long newest = 0;
        long total = 0;
        for (TypeId stream : streams) {
            List<Event> events;
            try (StreamIterator iterator = store.readStream(stream, ReadStreamOptions.forward())) {
                events = iterator.toList();
            }
            first = Math.min(first, events.getFirst().globalPosition().orElseThrow());
            newest = Math.max(newest, events.getLast().globalPosition().orElseThrow());
            total += events.size();
        }
        // PostgreSQL holds events back from global reads while an older transaction is open.
        String heldBackBy = FeedWait.awaitReadable(store, newest, FEED_WAIT, err(), "the demo's events to reach the global log")
                ? "" : store.watermark().orElseThrow().heldBackBy();
        List<Event> log = new ArrayList<>();
        ReadAllOptions read = ReadAllOptions.after(first - 1).filter(EventFilter.streamTypes(STREAM_TYPE));
        try (StreamIterator events = store.readAll(read)) {
            while (log.size() < total && events.hasNext()) {
                Event event = events.next();
                if (streams.contains(event.streamId())) {
                    log.add(event);
                }
            }
        }
        return new Log(log, total, heldBackBy);
    }

    /**
     * The demo's events as the global log shows them, how many were written, and what holds the
     * rest back from the log ("" if nothing does).
     */
    private record Log(List<Event> events, long written, String heldBackBy) {}

    private void print(List<Customer> customers, List<UUID> ids, List<Refusal> refusals, Log log,
            List<String[]> accountRows) {
        PrintWriter out = out();
        out.println("Wrote " + log.written() + " events for " + customers.size() + " new bank accounts to "
                + where() + ",");
        out.println("through the bank account example (BankAccounts, in estoria-examples): streams of type \""
                + STREAM_TYPE + "\",");
        out.println("JSON events, amounts in cents.");
        out.println();
        if (!refusals.isEmpty()) {
            out.println(refusals.size() == 1 ? "One command was refused by the account's rules, so nothing was recorded for it:"
                    : refusals.size() + " commands were refused by the accounts' rules, so nothing was recorded for them:");
            for (Refusal refusal : refusals) {
                out.println("  " + refusal.owner() + ": " + refusal.command() + ": refused, " + refusal.reason());
            }
            out.println();
        }
        Map<TypeId, String> owners = new HashMap<>();
        for (int i = 0; i < ids.size(); i++) {
            owners.put(TypeId.of(STREAM_TYPE, ids.get(i)), customers.get(i).owner());
        }
        out.println("The global log, as it is now:");
        out.println();
        Table events = Table.of(out, ">POSITION", "ACCOUNT", ">VERSION", "TYPE", ">AMOUNT", "DATA");
        for (Event event : log.events()) {
            events.row(Long.toString(event.globalPosition().orElse(0)), owners.get(event.streamId()),
                    Long.toString(event.streamVersion()), event.type(), amount(event),
                    EventTable.preview(event.data(), event.contentType()));
        }
        events.finish("(no events)");
        if (log.events().size() < log.written()) {
            out.println("(" + (log.written() - log.events().size()) + " of the events written are not in the global log"
                    + " yet: it holds them back from readers until an older transaction ends; "
                    + log.heldBackBy() + ")");
        }
        out.println();
        out.println("Each account as it is now, loaded through the aggregate store:");
        out.println();
        Table accounts = Table.of(out, "STREAM", "OWNER", "STATUS", ">VERSION", ">BALANCE", ">OVERDRAFT LIMIT");
        accountRows.forEach(accounts::row);
        accounts.finish("(no accounts)");
        out.println();
        hints(out, TypeId.of(STREAM_TYPE, ids.getFirst()), Long.parseLong(accountRows.getFirst()[3]));
    }

    /** The amount an event moves, signed, as money; empty for events that move none. */
    private static String amount(Event event) {
        long sign = switch (event.type()) {
            case "moneydeposited" -> 1;
            case "moneywithdrawn" -> -1;
            default -> 0;
        };
        if (sign == 0) {
            return "";
        }
        JsonNode data = Json.parse(new String(event.data(), StandardCharsets.UTF_8));
        long cents = data.path("amount").asLong();
        return (sign > 0 ? "+" : "") + money(sign * cents);
    }

    /** Cents as money: 142960 is 1429.60, -27525 is -275.25. */
    static String money(long cents) {
        return BigDecimal.valueOf(cents, 2).toPlainString();
    }

    private String where() {
        return switch (storeOptions().target()) {
            case StoreTarget.File file -> file.path().toString();
            case StoreTarget.Postgres postgres -> postgres.describe();
        };
    }

    private void hints(PrintWriter out, TypeId stream, long version) {
        String program = environment().programName();
        String db = storeOptions().asArguments();
        String id = stream.toString();
        List<String[]> commands = List.of(
                new String[] {program + " streams --format table" + db, "every stream and its version"},
                new String[] {program + " read " + id + " --format table" + db, "one account's history"},
                new String[] {program + " read " + id + db, "the same as NDJSON, for jq and friends"},
                new String[] {program + " append " + id + " --type moneydeposited --data '{\"amount\":2500}'"
                        + " --expect-version " + version + db,
                        "pay in 25.00 (amounts are cents); run it twice to see the version check fail (exit code 3)"},
                new String[] {program + " read-all --event-type moneywithdrawn --format table" + db,
                        "every withdrawal, in global order, filtered by the store"},
                new String[] {program + " tail --after 0 --stream-type account" + db,
                        "follow new account events as they arrive (Ctrl-C to stop)"},
                new String[] {program + " projections --format table" + db,
                        "the projections that keep checkpoints here, and how far behind they are"},
                new String[] {program + " export" + db + " > backup.ndjson", "everything as NDJSON"},
                new String[] {program + " import backup.ndjson --db copy.db",
                        "restore it elsewhere; a second import writes nothing"});
        out.println("Try next:");
        for (String[] command : commands) {
            out.println("  " + command[0]);
            out.println("      " + command[1]);
        }
    }
}
