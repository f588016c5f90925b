package dev.estoria.eventstore;

import dev.estoria.EstoriaException;
import dev.estoria.typeid.TypeId;
import java.util.Objects;

/**
 * An append's {@link ExpectedVersion} did not hold; nothing was written.
 *
 * <p>Carries the stream, the expectation and the stream's actual version (its tip) when the check
 * ran, so a caller can reload from the right place.
 */
public class StreamVersionMismatchException extends EstoriaException {

    private final TypeId streamId;
    private final ExpectedVersion expected;
    private final long actualVersion;

    public StreamVersionMismatchException(TypeId streamId, ExpectedVersion expected, long actualVersion) {
        super(message(streamId, expected, actualVersion));
        this.streamId = Objects.requireNonNull(streamId, "streamId");
        this.expected = Objects.requireNonNull(expected, "expected");
        this.actualVersion = actualVersion;
    }

    private static String message(TypeId streamId, ExpectedVersion expected, long actual) {
        String actualText = actual == 0 ? "the stream does not exist (version 0)" : "actual version " + actual;
        return "stream version mismatch on " + streamId + ": expected " + expected + ", " + actualText;
    }

    /** The stream the append targeted. */
    public TypeId streamId() {
        return streamId;
    }

    /** The expectation that failed. */
    public ExpectedVersion expected() {
        return expected;
    }

    /** The stream's version (tip) when the check failed; 0 when the stream did not exist. */
    public long actualVersion() {
        return actualVersion;
    }
}
