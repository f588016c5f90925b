package dev.estoria.eventstore;

/** The order in which a stream read yields events. */
public enum Direction {
    /** Oldest first, ascending versions. */
    FORWARD,
    /** Newest first, descending versions. */
    REVERSE
}
