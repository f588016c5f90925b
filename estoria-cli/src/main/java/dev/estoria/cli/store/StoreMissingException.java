package dev.estoria.cli.store;

/**
 * The store a command names does not exist (no file, an empty file, or no store in the schema),
 * and the command was opened with {@link OpenMode#MUST_EXIST}, so nothing was created. A command
 * for which a missing store has a meaning of its own (an append that expects an existing stream)
 * catches this one; any other unusable store is a plain {@link StoreUnavailableException}.
 */
public class StoreMissingException extends StoreUnavailableException {

    public StoreMissingException(String message) {
        super(message);
    }
}
