package dev.estoria.eventstore;

import java.util.List;

/**
 * Appends to several streams in one atomic step. An optional capability of an {@link EventStore},
 * found with {@code instanceof}.
 *
 * <p>Use it when one decision changes several streams (a transfer debits one account and credits
 * another), or to write many small appends at the cost of one: a store commits the whole call in
 * one transaction.
 */
public interface MultiStreamWriter {

    /**
     * Appends each of {@code appends}, in list order, as one atomic step: afterwards every append is
     * stored, or none is, and no reader ever sees some of them without the others.
     *
     * <p>Each append behaves as {@link StreamWriter#appendStream} would if the appends were made one
     * after another with nothing in between: its expectation is checked against its stream as the
     * earlier appends of the list leave it (so one call may append to a stream twice), its events
     * get the next versions of their stream, and an append whose events are all stored already, as
     * that method's idempotency rule describes, writes nothing and returns the stored events. Where
     * the store has a global order, the events' positions increase in list order.
     *
     * <p>If any append is refused, nothing of the call is written and the first refusal in list
     * order is thrown, naming its stream: a {@link StreamVersionMismatchException} with the version
     * that stream stood at, at that point of the list. Before anything is written the store refuses,
     * with {@link IllegalArgumentException}, an empty list of appends and every input {@code
     * appendStream} refuses; and with {@link DuplicateEventIdException}, a caller-chosen event ID
     * given twice in the call. The inputs are never modified.
     *
     * @return for each append, in list order, its events exactly as {@code appendStream} would have
     *     returned them
     * @throws StreamVersionMismatchException if an expectation does not hold
     * @throws DuplicateEventIdException as described above and in {@code appendStream}
     * @throws IllegalArgumentException for invalid input, as described above
     * @throws EventStoreException if the backend fails; the call may or may not have been written,
     *     and then wholly or not at all
     * @throws NullPointerException if the list or an element of it is null
     */
    List<List<Event>> appendStreams(List<StreamAppend> appends);
}
