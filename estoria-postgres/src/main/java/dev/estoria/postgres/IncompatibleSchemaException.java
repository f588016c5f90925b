package dev.estoria.postgres;

import dev.estoria.eventstore.EventStoreException;

/**
 * The schema cannot be used by this version of the store: it was written by a newer version, or it
 * was created with the other position mode (strict or watermark). Nothing was changed.
 */
public class IncompatibleSchemaException extends EventStoreException {

    public IncompatibleSchemaException(String message) {
        super(message);
    }
}
