package dev.estoria.eventstore;

import dev.estoria.EstoriaException;
import dev.estoria.typeid.TypeId;
import java.util.Objects;

/**
 * The stream was never written, or was deleted as a whole.
 *
 * <p>Only an absent stream gives this exception: a read past the tip, or of a stream truncated to
 * empty, returns an empty iterator instead.
 */
public class StreamNotFoundException extends EstoriaException {

    private final TypeId streamId;

    public StreamNotFoundException(TypeId streamId) {
        super("stream not found: " + streamId);
        this.streamId = Objects.requireNonNull(streamId, "streamId");
    }

    /** The stream that does not exist. */
    public TypeId streamId() {
        return streamId;
    }
}
