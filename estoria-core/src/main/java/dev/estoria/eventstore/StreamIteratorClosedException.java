package dev.estoria.eventstore;

import dev.estoria.EstoriaException;

/** A {@link StreamIterator} was read after it was closed. */
public class StreamIteratorClosedException extends EstoriaException {

    public StreamIteratorClosedException() {
        super("stream iterator closed");
    }
}
