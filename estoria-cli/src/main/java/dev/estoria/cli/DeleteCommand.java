package dev.estoria.cli;

import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.typeid.TypeId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code delete STREAM}: deletes or truncates a stream; deleting it whole deletes its snapshots too. */
@Command(name = "delete",
        description = {"Delete a stream and its events, or with --to-version N remove only its events up to version N.",
            "A deleted stream can be written again and restarts at version 1; a truncated one keeps its version.",
            "Deleting a whole stream also deletes the aggregate snapshots kept for its ID (in the snapshot table, or as a"
                + " parallel estoria.snapshot.* stream), so none of its state is left, even those left by an earlier"
                + " deletion of the stream; truncating keeps them, since loads start from them."})
final class DeleteCommand extends StoreCommand {

    @Parameters(paramLabel = "STREAM", converter = Converters.StreamId.class, description = "The stream ID.")
    TypeId stream;

    @Option(names = "--to-version", paramLabel = "N", converter = Converters.Positive.class,
            description = "Remove the events at versions 1 through N and keep the rest.")
    Long toVersion;

    @Override
    public Integer call() {
        boolean whole = toVersion == null;
        DeleteStreamOptions options = whole ? DeleteStreamOptions.wholeStream() : DeleteStreamOptions.truncateTo(toVersion);
        try (CliStore store = open(OpenMode.MUST_EXIST)) {
            long tip = whole ? 0 : newestVersion(store);
            try {
                store.deleteStream(stream, options);
            } catch (StreamNotFoundException e) {
                // Snapshots left by an earlier deletion of the stream (by the API, or a run of this
                // command whose snapshot deletion failed) can still be erased.
                try {
                    if (whole && deleteSnapshots(store)) {
                        out().println("deleted the snapshots of " + stream + ", whose stream does not exist");
                    }
                } catch (RuntimeException snapshotsFailed) {
                    // The stream's absence stays the answer (exit 2); the failure is said, not lost.
                    e.addSuppressed(snapshotsFailed);
                    err().println("warning: could not delete the snapshots of " + stream + ": "
                            + snapshotsFailed.getMessage());
                }
                throw e;
            }
            // After the stream, not before: a save in between could otherwise snapshot the state again.
            boolean snapshotsDeleted = whole && deleteSnapshots(store);
            if (whole) {
                out().println("deleted stream " + stream + (snapshotsDeleted ? " and its snapshots" : ""));
            } else if (tip > 0 && toVersion >= tip) {
                out().println("truncated stream " + stream + ": removed all its events, up to its version " + tip
                        + "; the stream stays, and its next event will be version " + (tip + 1));
            } else {
                out().println("truncated stream " + stream + ": removed its events up to version " + toVersion);
            }
        }
        return ExitCodes.OK;
    }

    /** The version of the stream's newest event, for the message; 0 if it has none or does not exist. */
    private long newestVersion(CliStore store) {
        try (StreamIterator newest = store.readStream(stream, ReadStreamOptions.reverse().count(1))) {
            return newest.hasNext() ? newest.next().streamVersion() : 0;
        } catch (StreamNotFoundException e) {
            return 0; // the deletion says so
        }
    }

    /**
     * Deletes the snapshots of {@link #stream} wherever the store keeps them: its snapshot table, and
     * the parallel stream of an {@link EventStreamSnapshotStore} over the same events.
     */
    private boolean deleteSnapshots(CliStore store) {
        boolean inTable = store.snapshots().delete(stream);
        boolean inStream = EventStreamSnapshotStore.create(store).delete(stream);
        return inTable | inStream;
    }
}
