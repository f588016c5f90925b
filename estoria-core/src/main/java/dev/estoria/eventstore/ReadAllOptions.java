package dev.estoria.eventstore;

/**
 * Options of {@link GlobalReader#readAll}.
 *
 * <ul>
 *   <li>{@code afterPosition}: exclusive; only events at positions above it. 0, the default, reads
 *       from the beginning. Resume a read with the position of the last event handled.
 *   <li>{@code count}: at most this many events; 0, the default, means all up to the frontier.
 * </ul>
 *
 * <p>Negative numbers are refused when the options are built.
 *
 * @param afterPosition see above; >= 0
 * @param count see above; >= 0
 */
public record ReadAllOptions(long afterPosition, long count) {

    private static final ReadAllOptions DEFAULTS = new ReadAllOptions(0, 0);

    /** @throws IllegalArgumentException naming the field, if a number is negative */
    public ReadAllOptions {
        Options.requireNonNegative("afterPosition", afterPosition);
        Options.requireNonNegative("count", count);
    }

    /** The whole global log, up to the frontier. */
    public static ReadAllOptions defaults() {
        return DEFAULTS;
    }

    /** Events at positions above {@code position}. */
    public static ReadAllOptions after(long position) {
        return new ReadAllOptions(position, 0);
    }

    /** Returns a copy with the given exclusive lower bound. */
    public ReadAllOptions afterPosition(long position) {
        return new ReadAllOptions(position, count);
    }

    /** Returns a copy that yields at most {@code n} events (0 = all). */
    public ReadAllOptions count(long n) {
        return new ReadAllOptions(afterPosition, n);
    }
}
