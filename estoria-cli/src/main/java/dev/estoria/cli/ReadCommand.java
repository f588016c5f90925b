package dev.estoria.cli;

import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.Direction;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.typeid.TypeId;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code read STREAM}: prints a stream's events. */
@Command(name = "read",
        description = "Print the events of one stream, oldest first (newest first with --reverse).")
final class ReadCommand extends StoreCommand {

    @Parameters(paramLabel = "STREAM", converter = Converters.StreamId.class,
            description = "The stream ID, such as account_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a.")
    TypeId stream;

    @Option(names = "--reverse", description = "Newest first.")
    boolean reverse;

    @Option(names = "--after", paramLabel = "N", converter = Converters.NonNegative.class, defaultValue = "0",
            description = "Forward: only versions above N. Reverse: only versions up to and including N. "
                    + "0 (the default) means from the start, or from the newest in reverse.")
    long after;

    @Option(names = "--count", paramLabel = "N", converter = Converters.NonNegative.class, defaultValue = "0",
            description = "At most N events; 0 (the default) means all.")
    long count;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        ReadStreamOptions options = new ReadStreamOptions(after, count, reverse ? Direction.REVERSE : Direction.FORWARD);
        try (CliStore store = open(OpenMode.MUST_EXIST);
                StreamIterator events = store.readStream(stream, options)) {
            output.printer(out()).printAll(events, out());
        }
        return ExitCodes.OK;
    }
}
