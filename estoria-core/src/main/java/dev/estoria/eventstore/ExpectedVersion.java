package dev.estoria.eventstore;

import java.io.Serializable;

/**
 * What an append expects of the stream's current version (its tip), checked atomically with the
 * write.
 *
 * <ul>
 *   <li>{@link #any()}: no check.
 *   <li>{@link #noStream()}: the stream has never been written (tip 0). A stream truncated to
 *       empty still has its tip, so it does not qualify.
 *   <li>{@link #streamExists()}: the stream exists (tip &gt; 0), even if truncated to empty.
 *   <li>{@link #exact(long) exact(n)}: the tip is exactly {@code n}; {@code exact(0)} accepts a
 *       stream never written (or deleted); a stream truncated to empty keeps its tip.
 * </ul>
 *
 * <p>Exactly one expectation can be expressed at a time, so contradictory expectations cannot be.
 * A failed check throws {@link StreamVersionMismatchException} and writes nothing.
 *
 * <p>Serializable, like the exception that carries it.
 */
public sealed interface ExpectedVersion extends Serializable {

    /** Whether a stream whose tip is {@code currentVersion} satisfies the expectation. */
    boolean isSatisfiedBy(long currentVersion);

    /** No check. */
    static ExpectedVersion any() {
        return Any.INSTANCE;
    }

    /** The stream must not exist (tip 0). */
    static ExpectedVersion noStream() {
        return NoStream.INSTANCE;
    }

    /** The stream must exist (tip &gt; 0). */
    static ExpectedVersion streamExists() {
        return StreamExists.INSTANCE;
    }

    /**
     * The stream's tip must be exactly {@code version}; 0 means never written (or deleted).
     *
     * @throws IllegalArgumentException if {@code version} is negative
     */
    static ExpectedVersion exact(long version) {
        return new Exact(version);
    }

    /** See {@link ExpectedVersion#any()}. */
    enum Any implements ExpectedVersion {
        INSTANCE;

        @Override
        public boolean isSatisfiedBy(long currentVersion) {
            return true;
        }

        @Override
        public String toString() {
            return "any version";
        }
    }

    /** See {@link ExpectedVersion#noStream()}. */
    enum NoStream implements ExpectedVersion {
        INSTANCE;

        @Override
        public boolean isSatisfiedBy(long currentVersion) {
            return currentVersion == 0;
        }

        @Override
        public String toString() {
            return "no stream";
        }
    }

    /** See {@link ExpectedVersion#streamExists()}. */
    enum StreamExists implements ExpectedVersion {
        INSTANCE;

        @Override
        public boolean isSatisfiedBy(long currentVersion) {
            return currentVersion > 0;
        }

        @Override
        public String toString() {
            return "an existing stream";
        }
    }

    /**
     * See {@link ExpectedVersion#exact(long)}.
     *
     * @param version the expected tip; >= 0
     */
    record Exact(long version) implements ExpectedVersion {

        /** @throws IllegalArgumentException if {@code version} is negative */
        public Exact {
            Options.requireNonNegative("expected version", version);
        }

        @Override
        public boolean isSatisfiedBy(long currentVersion) {
            return currentVersion == version;
        }

        @Override
        public String toString() {
            return "version " + version;
        }
    }
}
