package dev.estoria.examples.bank;

import dev.estoria.aggregate.Aggregate;
import dev.estoria.aggregate.AggregateStore;
import dev.estoria.aggregate.AggregateType;
import dev.estoria.aggregate.CachedAggregateStore;
import dev.estoria.aggregate.ConflictRetry;
import dev.estoria.aggregate.EventSourcedAggregateStore;
import dev.estoria.aggregate.SnapshottingAggregateStore;
import dev.estoria.caffeine.CaffeineAggregateCache;
import dev.estoria.eventstore.EventStore;
import dev.estoria.jackson.JacksonCodec;
import dev.estoria.snapshot.SnapshotPolicy;
import dev.estoria.snapshot.SnapshotStore;
import java.util.UUID;

/**
 * The bank account example: commands that check the rules, record events, and save with conflict
 * retry, over an aggregate store of any event store.
 *
 * <p>Amounts are in cents. Rules: amounts are positive; a withdrawal may take the balance down to
 * minus the overdraft limit and no further; only an open account takes deposits and withdrawals; an
 * account closes only at a zero balance.
 */
public final class BankAccounts {

    /** The aggregate type: stream IDs {@code account_<uuid>}, JSON events. */
    public static final AggregateType<Account, AccountEvent> TYPE =
            AggregateType.builder("account", AccountEvent.class, id -> Account.unopened())
                    .event(AccountEvent.Opened.class)
                    .event(AccountEvent.Deposited.class)
                    .event(AccountEvent.Withdrawn.class)
                    .event(AccountEvent.Closed.class)
                    .codec(JacksonCodec.create())
                    .build();

    private final AggregateStore<Account, AccountEvent> accounts;

    /** Accounts kept in {@code events}, replayed from their streams on every load. */
    public BankAccounts(EventStore events) {
        this(new EventSourcedAggregateStore<>(events, TYPE));
    }

    /** Accounts over any aggregate store of the account type. */
    public BankAccounts(AggregateStore<Account, AccountEvent> accounts) {
        this.accounts = accounts;
    }

    /**
     * The production stack: event-sourced, snapshotted every {@code snapshotEvery} events, and cached
     * (up to 10,000 accounts) with catch-up on every hit.
     */
    public static BankAccounts withSnapshotsAndCache(EventStore events, SnapshotStore snapshots, int snapshotEvery) {
        AggregateStore<Account, AccountEvent> store = new EventSourcedAggregateStore<>(events, TYPE);
        store = new SnapshottingAggregateStore<>(store, snapshots, SnapshotPolicy.everyNEvents(snapshotEvery),
                Account.class);
        store = new CachedAggregateStore<>(store, CaffeineAggregateCache.ofMaximumSize(10_000));
        return new BankAccounts(store);
    }

    /** The aggregate store underneath. */
    public AggregateStore<Account, AccountEvent> store() {
        return accounts;
    }

    /** Opens an account and returns its ID. */
    public UUID open(String owner, long overdraftLimit) {
        if (owner == null || owner.isBlank()) {
            throw new BankException("an account needs an owner");
        }
        if (overdraftLimit < 0) {
            throw new BankException("the overdraft limit cannot be negative");
        }
        Aggregate<Account, AccountEvent> account = accounts.create();
        account.record(new AccountEvent.Opened(owner, overdraftLimit));
        accounts.save(account);
        return account.id().uuid();
    }

    /** Pays {@code amount} cents in and returns the new balance. */
    public long deposit(UUID id, long amount) {
        requirePositive(amount);
        return ConflictRetry.update(accounts, id, account -> {
            requireOpen(account);
            if (account.state().balance() > Long.MAX_VALUE - amount) {
                throw new BankException("depositing " + amount + " into " + account.id()
                        + " would overflow its balance of " + account.state().balance());
            }
            account.record(new AccountEvent.Deposited(amount));
        }).state().balance();
    }

    /** Takes {@code amount} cents out, within the overdraft limit, and returns the new balance. */
    public long withdraw(UUID id, long amount) {
        requirePositive(amount);
        return ConflictRetry.update(accounts, id, account -> {
            requireOpen(account);
            if (!account.state().canWithdraw(amount)) {
                throw new BankException("withdrawing " + amount + " from " + account.id() + " would take the balance of "
                        + account.state().balance() + " below the overdraft limit of " + account.state().overdraftLimit());
            }
            account.record(new AccountEvent.Withdrawn(amount));
        }).state().balance();
    }

    /** Closes an account whose balance is zero. */
    public void close(UUID id, String reason) {
        ConflictRetry.update(accounts, id, account -> {
            requireOpen(account);
            if (account.state().balance() != 0) {
                throw new BankException("account " + account.id() + " still holds " + account.state().balance()
                        + "; it closes only at zero");
            }
            account.record(new AccountEvent.Closed(reason));
        });
    }

    /** The current state of an account. */
    public Account get(UUID id) {
        return accounts.load(id).state();
    }

    private static void requirePositive(long amount) {
        if (amount <= 0) {
            throw new BankException("amounts must be positive, was " + amount);
        }
    }

    private static void requireOpen(Aggregate<Account, AccountEvent> account) {
        if (!account.state().open()) {
            throw new BankException("account " + account.id() + " is not open");
        }
    }
}
