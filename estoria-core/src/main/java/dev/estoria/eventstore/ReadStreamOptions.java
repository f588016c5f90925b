package dev.estoria.eventstore;

import java.util.Objects;

/**
 * Options of {@link StreamReader#readStream}.
 *
 * <ul>
 *   <li>{@code afterVersion}: forward, an <em>exclusive</em> lower bound (2 yields 3, 4, ...);
 *       reverse, an <em>inclusive</em> upper bound (3 yields 3, 2, 1). 0, the default, means from
 *       version 1 forward, or from the tip in reverse. Versions address events even after a
 *       truncation removed earlier ones.
 *   <li>{@code count}: at most this many events, in either direction; 0, the default, means all.
 *   <li>{@code direction}: {@link Direction#FORWARD} by default.
 * </ul>
 *
 * <p>Negative numbers are refused when the options are built.
 *
 * @param afterVersion see above; >= 0
 * @param count see above; >= 0
 * @param direction the read order
 */
public record ReadStreamOptions(long afterVersion, long count, Direction direction) {

    private static final ReadStreamOptions DEFAULTS = new ReadStreamOptions(0, 0, Direction.FORWARD);

    /** @throws IllegalArgumentException naming the field, if a number is negative */
    public ReadStreamOptions {
        Options.requireNonNegative("afterVersion", afterVersion);
        Options.requireNonNegative("count", count);
        Objects.requireNonNull(direction, "direction");
    }

    /** Every event, oldest first. */
    public static ReadStreamOptions defaults() {
        return DEFAULTS;
    }

    /** Every event, oldest first; the same as {@link #defaults()}. */
    public static ReadStreamOptions forward() {
        return DEFAULTS;
    }

    /** Every event, newest first. */
    public static ReadStreamOptions reverse() {
        return new ReadStreamOptions(0, 0, Direction.REVERSE);
    }

    /** Returns a copy with the given after-version bound. */
    public ReadStreamOptions afterVersion(long version) {
        return new ReadStreamOptions(version, count, direction);
    }

    /** Returns a copy that yields at most {@code n} events (0 = all). */
    public ReadStreamOptions count(long n) {
        return new ReadStreamOptions(afterVersion, n, direction);
    }

    /** Returns a copy with the given direction. */
    public ReadStreamOptions direction(Direction newDirection) {
        return new ReadStreamOptions(afterVersion, count, newDirection);
    }
}
