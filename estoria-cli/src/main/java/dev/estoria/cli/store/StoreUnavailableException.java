package dev.estoria.cli.store;

/**
 * The store a command names is missing or cannot be created there, so nothing was read or written.
 * A usage problem rather than a backend failure: the message tells the user what to fix.
 */
public class StoreUnavailableException extends RuntimeException {

    public StoreUnavailableException(String message) {
        super(message);
    }
}
