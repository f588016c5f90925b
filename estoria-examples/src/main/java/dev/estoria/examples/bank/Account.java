package dev.estoria.examples.bank;

/**
 * The state of a bank account: an immutable record that events fold into.
 *
 * @param owner who holds the account
 * @param balance the balance in cents; may go below zero down to the overdraft limit
 * @param overdraftLimit how far below zero the balance may go, in cents
 * @param open whether the account is open
 */
public record Account(String owner, long balance, long overdraftLimit, boolean open) {

    /** The state before the account is opened. */
    public static Account unopened() {
        return new Account("", 0, 0, false);
    }

    /** Whether a withdrawal of {@code amount} keeps the balance within the overdraft limit. */
    public boolean canWithdraw(long amount) {
        // balance - amount would wrap past Long.MIN_VALUE for a huge amount; with amount > 0 and
        // overdraftLimit >= 0, amount - overdraftLimit cannot overflow.
        return balance >= amount - overdraftLimit;
    }
}
