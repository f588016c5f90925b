package dev.estoria.examples.bank;

/** A command broke a rule of the bank; nothing was recorded. */
public class BankException extends RuntimeException {

    public BankException(String message) {
        super(message);
    }
}
