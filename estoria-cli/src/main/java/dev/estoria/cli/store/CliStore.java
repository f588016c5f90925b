package dev.estoria.cli.store;

import dev.estoria.eventstore.AppendNotifier;
import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.MultiStreamWriter;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamDeleter;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamLister;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.CheckpointStore;
import dev.estoria.snapshot.SnapshotStore;
import dev.estoria.typeid.TypeId;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The capabilities the commands need from a store, in one type: stream reads and appends, the global
 * log, deletion, the list of streams, append notifications for live reads, the projection
 * checkpoints and aggregate snapshots kept beside the events, and a {@link #close()} that throws no
 * checked exception.
 *
 * <p>Every operation keeps the contract of the interface it comes from; {@link #of} adapts any store
 * that has all these capabilities.
 */
public interface CliStore extends EventStore, GlobalReader, StreamDeleter, StreamLister, AppendNotifier, AutoCloseable {

    /** The projection checkpoints kept with these events; usable until the store is closed. */
    CheckpointStore checkpoints();

    /** The aggregate snapshots kept with these events; usable until the store is closed. */
    SnapshotStore snapshots();

    /** Releases the store; idempotent. */
    @Override
    void close();

    /**
     * How the store's global log may trail its commits: empty for a store whose {@link #readAll}
     * returns every committed event at once (in memory, SQLite); PostgreSQL's watermark holds
     * events back while an older transaction is open.
     */
    default Optional<Watermark> watermark() {
        return Optional.empty();
    }

    /** The store's atomic appends to several streams, when it has them ({@link MultiStreamWriter}). */
    default Optional<MultiStreamWriter> multiStreamWriter() {
        return Optional.empty();
    }

    /** A global log that may hold committed events back from readers for a while, never losing them. */
    interface Watermark {
        /** The position of the newest committed event, readable or not yet; 0 if there is none. */
        long committedHead();

        /** What holds the log back, in one line for people, its control characters shown escaped. */
        String heldBackBy();
    }

    /**
     * Adapts {@code store} and the {@code checkpoints} and {@code snapshots} kept with it; {@link
     * #close()} runs {@code onClose} once.
     *
     * @throws NullPointerException if an argument is null
     */
    static <S extends EventStore & GlobalReader & StreamDeleter & StreamLister & AppendNotifier> CliStore of(
            S store, CheckpointStore checkpoints, SnapshotStore snapshots, Runnable onClose) {
        return of(store, checkpoints, snapshots, onClose, null);
    }

    /**
     * As {@link #of(EventStore, CheckpointStore, SnapshotStore, Runnable)}, for a store whose global
     * log may trail its commits ({@link #watermark()}); {@code watermark} may be null.
     */
    static <S extends EventStore & GlobalReader & StreamDeleter & StreamLister & AppendNotifier> CliStore of(
            S store, CheckpointStore checkpoints, SnapshotStore snapshots, Runnable onClose, Watermark watermark) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(checkpoints, "checkpoints");
        Objects.requireNonNull(snapshots, "snapshots");
        Objects.requireNonNull(onClose, "onClose");
        return new CliStore() {
            private boolean closed;

            @Override
            public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
                return store.appendStream(streamId, events, options);
            }

            @Override
            public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
                return store.readStream(streamId, options);
            }

            @Override
            public StreamIterator readAll(ReadAllOptions options) {
                return store.readAll(options);
            }

            @Override
            public long headPosition() {
                return store.headPosition();
            }

            @Override
            public void deleteStream(TypeId streamId, DeleteStreamOptions options) {
                store.deleteStream(streamId, options);
            }

            @Override
            public List<StreamInfo> listStreams() {
                return store.listStreams();
            }

            @Override
            public AutoCloseable onAppend(Runnable listener) {
                return store.onAppend(listener);
            }

            @Override
            public CheckpointStore checkpoints() {
                return checkpoints;
            }

            @Override
            public SnapshotStore snapshots() {
                return snapshots;
            }

            @Override
            public Optional<Watermark> watermark() {
                return Optional.ofNullable(watermark);
            }

            @Override
            public Optional<MultiStreamWriter> multiStreamWriter() {
                return store instanceof MultiStreamWriter writer ? Optional.of(writer) : Optional.empty();
            }

            @Override
            public synchronized void close() {
                if (!closed) {
                    closed = true;
                    onClose.run();
                }
            }
        };
    }
}
