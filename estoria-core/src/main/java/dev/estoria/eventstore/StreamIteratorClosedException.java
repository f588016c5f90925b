package dev.estoria.eventstore;

import dev.estoria.EstoriaException;
import java.util.Objects;

/**
 * A {@link StreamIterator} was read after it was closed: by its caller, or by a store that closes
 * its open iterators when it is closed itself (the message then says so).
 */
public class StreamIteratorClosedException extends EstoriaException {

    public StreamIteratorClosedException() {
        super("stream iterator closed");
    }

    /** An iterator closed for {@code reason}, such as the store it reads being closed. */
    public StreamIteratorClosedException(String reason) {
        super("stream iterator closed: " + Objects.requireNonNull(reason, "reason"));
    }
}
