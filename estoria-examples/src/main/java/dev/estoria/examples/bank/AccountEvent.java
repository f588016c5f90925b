package dev.estoria.examples.bank;

import dev.estoria.aggregate.DomainEvent;
import dev.estoria.aggregate.EventType;

/**
 * What can happen to a bank account. Each event is a fact, so applying it cannot fail: the rules
 * (no overdraft beyond the limit, no closing with money left) are checked by {@link BankAccounts}
 * before an event is recorded.
 */
public sealed interface AccountEvent extends DomainEvent<Account> {

    /** The account was opened. */
    @EventType("accountopened")
    record Opened(String owner, long overdraftLimit) implements AccountEvent {
        @Override
        public Account applyTo(Account state) {
            return new Account(owner, 0, overdraftLimit, true);
        }
    }

    /** Money was paid in. */
    @EventType("moneydeposited")
    record Deposited(long amount) implements AccountEvent {
        @Override
        public Account applyTo(Account state) {
            return new Account(state.owner(), state.balance() + amount, state.overdraftLimit(), state.open());
        }
    }

    /** Money was taken out. */
    @EventType("moneywithdrawn")
    record Withdrawn(long amount) implements AccountEvent {
        @Override
        public Account applyTo(Account state) {
            return new Account(state.owner(), state.balance() - amount, state.overdraftLimit(), state.open());
        }
    }

    /** The account was closed. */
    @EventType("accountclosed")
    record Closed(String reason) implements AccountEvent {
        @Override
        public Account applyTo(Account state) {
            return new Account(state.owner(), state.balance(), state.overdraftLimit(), false);
        }
    }
}
