package dev.estoria.snapshot;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.ExpectedVersion;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamDeleter;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.lang.System.Logger.Level;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;

/**
 * Keeps snapshots as events of a parallel stream in any event store, so no extra storage is needed.
 *
 * <p>The snapshots of aggregate {@code account_<uuid>} live in stream {@code
 * estoria.snapshot.account_<uuid>}: the {@code estoria.} namespace cannot collide with an
 * application's aggregate types, and global readers can leave it out. Each event's payload is the
 * encoded state, verbatim, with the snapshot's content type; the metadata keys {@value
 * #VERSION_KEY} and {@value #TIMESTAMP_KEY} carry the aggregate version and the snapshot time, and
 * {@value #EVENT_ID_KEY} the {@linkplain Snapshot#eventId() event} it was taken at, when known.
 *
 * <p>Writes are optimistic: a snapshot is appended only if its version is above the newest stored
 * one (checked with the stream's expected version, so concurrent writers cannot reorder them), or at
 * the same version with another state (the aggregate's stream was deleted and written again). The
 * stream's versions therefore ascend with aggregate versions, and a read walks back from the newest.
 * With {@link #keepLast(EventStore, int)}, older snapshots are truncated after each write; pruning
 * is best effort and never fails a write. {@link #delete} deletes the parallel stream, and needs an
 * event store that is a {@link StreamDeleter}.
 */
public final class EventStreamSnapshotStore implements SnapshotStore {

    /** Metadata key holding the aggregate version of a snapshot event. */
    public static final String VERSION_KEY = "estoria.snapshot_version";
    /** Metadata key holding the snapshot time (ISO-8601). */
    public static final String TIMESTAMP_KEY = "estoria.snapshot_timestamp";
    /** Metadata key holding the UUID of the aggregate's event the snapshot was taken at, when known. */
    public static final String EVENT_ID_KEY = "estoria.snapshot_event_id";
    /** Prefix of the stream type of snapshot streams. */
    public static final String STREAM_TYPE_PREFIX = "estoria.snapshot.";
    /** The event type of snapshot events. */
    public static final String EVENT_TYPE = "snapshot";

    private static final System.Logger LOG = System.getLogger(EventStreamSnapshotStore.class.getName());
    private static final int WRITE_ATTEMPTS = 5;

    private final EventStore store;
    private final int keep;

    private EventStreamSnapshotStore(EventStore store, int keep) {
        this.store = Objects.requireNonNull(store, "store");
        this.keep = keep;
    }

    /** Snapshots in parallel streams of {@code store}, all kept. */
    public static EventStreamSnapshotStore create(EventStore store) {
        return new EventStreamSnapshotStore(store, 0);
    }

    /**
     * Snapshots in parallel streams of {@code store}, keeping the newest {@code n} of each aggregate.
     *
     * @throws IllegalArgumentException if {@code n} is below 1 or the store cannot delete streams
     */
    public static EventStreamSnapshotStore keepLast(EventStore store, int n) {
        if (n < 1) {
            throw new IllegalArgumentException("n must be >= 1, was " + n);
        }
        if (!(store instanceof StreamDeleter)) {
            throw new IllegalArgumentException("keeping the last " + n + " snapshots needs a store that implements "
                    + "StreamDeleter; " + store.getClass().getName() + " does not");
        }
        return new EventStreamSnapshotStore(store, n);
    }

    /** The stream holding the snapshots of {@code aggregateId}. */
    public static TypeId snapshotStreamId(TypeId aggregateId) {
        return new TypeId(STREAM_TYPE_PREFIX + aggregateId.type(), aggregateId.uuid());
    }

    @Override
    public Optional<Snapshot> read(TypeId aggregateId, long maxVersion) {
        Objects.requireNonNull(aggregateId, "aggregateId");
        if (maxVersion < 0) {
            throw new IllegalArgumentException("maxVersion must not be negative, was " + maxVersion);
        }
        try (StreamIterator events = store.readStream(snapshotStreamId(aggregateId), ReadStreamOptions.reverse())) {
            while (events.hasNext()) {
                Event event = events.next();
                long version = versionOf(event);
                if (version > 0 && (maxVersion == 0 || version <= maxVersion)) {
                    return Optional.of(new Snapshot(aggregateId, version, timestampOf(event), event.data(),
                            event.contentType(), eventIdOf(event)));
                }
            }
            return Optional.empty();
        } catch (StreamNotFoundException e) {
            return Optional.empty();
        }
    }

    @Override
    public void write(Snapshot snapshot) {
        Objects.requireNonNull(snapshot, "snapshot");
        TypeId streamId = snapshotStreamId(snapshot.aggregateId());
        Map<String, String> metadata = snapshot.eventId() == null
                ? Map.of(VERSION_KEY, Long.toString(snapshot.version()), TIMESTAMP_KEY, snapshot.timestamp().toString())
                : Map.of(VERSION_KEY, Long.toString(snapshot.version()), TIMESTAMP_KEY, snapshot.timestamp().toString(),
                        EVENT_ID_KEY, snapshot.eventId().toString());
        WritableEvent event = WritableEvent.of(EVENT_TYPE, snapshot.data())
                .withContentType(snapshot.contentType())
                .withMetadata(metadata);
        for (int attempt = 1; ; attempt++) {
            Newest newest = newest(streamId);
            if (newest.version() > snapshot.version() || newest.version() == snapshot.version()
                    && newest.holds(snapshot)) {
                return; // a newer snapshot, or this very one, is already stored
            }
            // At the same version with another state, the aggregate's stream was deleted and written
            // again: the stored snapshot is its predecessor's, and this one must go after it, so reads
            // find it first. Ignored, the stale one would stand for the new stream's state at a version
            // whose event, once truncated away, can no longer show it is stale.
            try {
                ExpectedVersion expected = newest.tip() < 0
                        ? ExpectedVersion.any() : ExpectedVersion.exact(newest.tip());
                Event written = store.appendStream(streamId, List.of(event),
                        AppendStreamOptions.expecting(expected).withReservedMetadataAllowed()).get(0);
                prune(streamId, written.streamVersion());
                return;
            } catch (StreamVersionMismatchException e) {
                if (attempt == WRITE_ATTEMPTS) {
                    throw e;
                }
            }
        }
    }

    /**
     * Deletes the aggregate's snapshot stream. The answer says whether it held a snapshot when the
     * call began: one written while it runs may be deleted too without being counted.
     *
     * @throws UnsupportedOperationException if the event store is not a {@link StreamDeleter}
     */
    @Override
    public boolean delete(TypeId aggregateId) {
        Objects.requireNonNull(aggregateId, "aggregateId");
        if (!(store instanceof StreamDeleter deleter)) {
            throw new UnsupportedOperationException("deleting the snapshots of " + aggregateId + " needs an event store"
                    + " that implements StreamDeleter; " + store.getClass().getName() + " does not");
        }
        TypeId streamId = snapshotStreamId(aggregateId);
        // A stream truncated to empty by pruning elsewhere holds no snapshot, though it exists.
        boolean held = newest(streamId).event() != null;
        try {
            deleter.deleteStream(streamId, DeleteStreamOptions.wholeStream());
        } catch (StreamNotFoundException e) {
            return false;
        }
        return held;
    }

    /**
     * The newest event of a snapshot stream: the stream's tip (0 if it does not exist, -1 if it was
     * truncated to empty), the aggregate version it holds (0 if none) and the event itself.
     */
    private record Newest(long tip, long version, Event event) {

        boolean holds(Snapshot snapshot) {
            return event != null && Arrays.equals(event.data(), snapshot.data())
                    && event.contentType().equals(snapshot.contentType())
                    && Objects.equals(eventIdOf(event), snapshot.eventId());
        }
    }

    private Newest newest(TypeId streamId) {
        try (StreamIterator events = store.readStream(streamId, ReadStreamOptions.reverse().count(1))) {
            if (!events.hasNext()) {
                // Truncated to empty by someone else: its tip is unknown here, so append unchecked.
                return new Newest(-1, 0, null);
            }
            Event newest = events.next();
            return new Newest(newest.streamVersion(), versionOf(newest), newest);
        } catch (StreamNotFoundException e) {
            return new Newest(0, 0, null);
        }
    }

    private void prune(TypeId streamId, long writtenStreamVersion) {
        if (keep == 0 || writtenStreamVersion <= keep) {
            return;
        }
        try {
            ((StreamDeleter) store).deleteStream(streamId, DeleteStreamOptions.truncateTo(writtenStreamVersion - keep));
        } catch (RuntimeException e) {
            LOG.log(Level.WARNING, "pruning old snapshots of " + streamId + " failed; they are kept", e);
        }
    }

    private static long versionOf(Event event) {
        String value = event.metadata().get(VERSION_KEY);
        if (value == null) {
            return 0;
        }
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            LOG.log(Level.WARNING, "skipping snapshot event " + event.id() + " with unreadable version '" + value + "'");
            return 0;
        }
    }

    private static Instant timestampOf(Event event) {
        String value = event.metadata().get(TIMESTAMP_KEY);
        if (value != null) {
            try {
                return Instant.parse(value);
            } catch (DateTimeParseException e) {
                LOG.log(Level.WARNING, "snapshot event " + event.id() + " has an unreadable timestamp; using the event's");
            }
        }
        return event.timestamp();
    }

    /** The event the snapshot was taken at; null when not recorded, or unreadable (logged). */
    private static UUID eventIdOf(Event event) {
        String value = event.metadata().get(EVENT_ID_KEY);
        if (value == null) {
            return null;
        }
        try {
            return UUID.fromString(value);
        } catch (IllegalArgumentException e) {
            LOG.log(Level.WARNING, "snapshot event " + event.id() + " has an unreadable event ID '" + value
                    + "'; loads will judge it by its time");
            return null;
        }
    }
}
