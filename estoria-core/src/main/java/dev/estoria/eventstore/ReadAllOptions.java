package dev.estoria.eventstore;

import java.util.Objects;

/**
 * Options of {@link GlobalReader#readAll}.
 *
 * <ul>
 *   <li>{@code afterPosition}: exclusive; only events at positions above it. 0, the default, reads
 *       from the beginning. Resume a read with the position of the last event handled.
 *   <li>{@code count}: at most this many events; 0, the default, means all up to the frontier.
 *   <li>{@code filter}: which events to return; {@link EventFilter#all()} by default. The count
 *       counts the events that pass.
 * </ul>
 *
 * <p>Negative numbers are refused when the options are built.
 *
 * @param afterPosition see above; >= 0
 * @param count see above; >= 0
 * @param filter see above
 */
public record ReadAllOptions(long afterPosition, long count, EventFilter filter) {

    private static final ReadAllOptions DEFAULTS = new ReadAllOptions(0, 0);

    /** @throws IllegalArgumentException naming the field, if a number is negative */
    public ReadAllOptions {
        Options.requireNonNegative("afterPosition", afterPosition);
        Options.requireNonNegative("count", count);
        Objects.requireNonNull(filter, "filter");
    }

    /** Options without a filter. */
    public ReadAllOptions(long afterPosition, long count) {
        this(afterPosition, count, EventFilter.all());
    }

    /** The whole global log, up to the frontier. */
    public static ReadAllOptions defaults() {
        return DEFAULTS;
    }

    /** Events at positions above {@code position}. */
    public static ReadAllOptions after(long position) {
        return new ReadAllOptions(position, 0, EventFilter.all());
    }

    /** Returns a copy with the given exclusive lower bound. */
    public ReadAllOptions afterPosition(long position) {
        return new ReadAllOptions(position, count, filter);
    }

    /** Returns a copy that yields at most {@code n} events (0 = all). */
    public ReadAllOptions count(long n) {
        return new ReadAllOptions(afterPosition, n, filter);
    }

    /** Returns a copy that reads only the events {@code newFilter} lets through. */
    public ReadAllOptions filter(EventFilter newFilter) {
        return new ReadAllOptions(afterPosition, count, newFilter);
    }
}
