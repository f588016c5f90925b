package dev.estoria.eventstore;

import dev.estoria.typeid.TypeId;
import java.util.List;
import java.util.Objects;

/**
 * One append of a {@link MultiStreamWriter#appendStreams} call: what {@link
 * StreamWriter#appendStream} takes, as a value.
 *
 * <p>The event list is copied when the record is made, so later changes to the caller's list do
 * not reach it; its checks (an empty list, reserved metadata) are made by the store, with the rest
 * of the call.
 *
 * @param streamId the stream to append to
 * @param events the events, in order
 * @param options the expectation and the other options of this append
 */
public record StreamAppend(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {

    public StreamAppend {
        Objects.requireNonNull(streamId, "streamId");
        Objects.requireNonNull(events, "events");
        Objects.requireNonNull(options, "options");
        try {
            events = List.copyOf(events);
        } catch (NullPointerException e) {
            throw new NullPointerException("events must not contain null (append to " + streamId + ")");
        }
    }

    /** An append with no expectation. */
    public static StreamAppend of(TypeId streamId, List<WritableEvent> events) {
        return new StreamAppend(streamId, events, AppendStreamOptions.defaults());
    }

    /** An append with the given options. */
    public static StreamAppend of(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
        return new StreamAppend(streamId, events, options);
    }
}
