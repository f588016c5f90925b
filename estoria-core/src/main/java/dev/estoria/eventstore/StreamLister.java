package dev.estoria.eventstore;

import java.util.List;

/**
 * Lists the streams a store holds. An optional capability of an {@link EventStore}, found with
 * {@code instanceof}.
 */
public interface StreamLister {

    /**
     * Returns every existing stream with its current version (tip), ordered by stream ID (type, then
     * UUID). A stream truncated to empty is listed with its tip; a deleted stream is not listed.
     *
     * @throws EventStoreException if the backend fails
     */
    List<StreamInfo> listStreams();
}
