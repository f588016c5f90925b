package dev.estoria.cli;

import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.typeid.TypeId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code delete STREAM}: deletes or truncates a stream; deleting it whole deletes its snapshots too. */
@Command(name = "delete",
        description = {"Delete a stream and its events, or with --to-version N remove only its events up to version N.",
            "A deleted stream can be written again and restarts at version 1; a truncated one keeps its version.",
            "Deleting a whole stream also deletes the aggregate snapshots kept for its ID, so none of its state is left;"
                + " truncating keeps them, since loads start from them."})
final class DeleteCommand extends StoreCommand {

    @Parameters(paramLabel = "STREAM", converter = Converters.StreamId.class, description = "The stream ID.")
    TypeId stream;

    @Option(names = "--to-version", paramLabel = "N", converter = Converters.Positive.class,
            description = "Remove the events at versions 1 through N and keep the rest.")
    Long toVersion;

    @Override
    public Integer call() {
        DeleteStreamOptions options =
                toVersion == null ? DeleteStreamOptions.wholeStream() : DeleteStreamOptions.truncateTo(toVersion);
        boolean snapshotsDeleted = false;
        try (CliStore store = open(OpenMode.MUST_EXIST)) {
            store.deleteStream(stream, options);
            // After the stream, not before: a save in between could otherwise snapshot the state again.
            if (toVersion == null) {
                snapshotsDeleted = store.snapshots().delete(stream);
            }
        }
        if (toVersion == null) {
            out().println("deleted stream " + stream + (snapshotsDeleted ? " and its snapshots" : ""));
        } else {
            out().println("truncated stream " + stream + ": removed its events up to version " + toVersion);
        }
        return ExitCodes.OK;
    }
}
