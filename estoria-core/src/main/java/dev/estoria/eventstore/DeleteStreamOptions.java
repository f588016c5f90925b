package dev.estoria.eventstore;

/**
 * Options of {@link StreamDeleter#deleteStream}.
 *
 * <p>{@code toVersion} 0, the default, deletes the whole stream. A positive value truncates: events
 * at versions up to and including it are removed, later events keep their versions, and the
 * stream keeps its version counter even when truncation leaves it empty.
 *
 * @param toVersion see above; >= 0
 */
public record DeleteStreamOptions(long toVersion) {

    private static final DeleteStreamOptions WHOLE = new DeleteStreamOptions(0);

    /** @throws IllegalArgumentException naming the field, if the number is negative */
    public DeleteStreamOptions {
        Options.requireNonNegative("toVersion", toVersion);
    }

    /** Delete the whole stream. */
    public static DeleteStreamOptions wholeStream() {
        return WHOLE;
    }

    /** Remove the events at versions 1 through {@code version}; 0 deletes the whole stream. */
    public static DeleteStreamOptions truncateTo(long version) {
        return new DeleteStreamOptions(version);
    }

    /** Whether these options truncate rather than delete the stream. */
    public boolean isTruncation() {
        return toVersion > 0;
    }
}
