package dev.estoria.cli;

import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code read-all}: prints the global log. */
@Command(name = "read-all",
        description = "Print the events of every stream in global order.")
final class ReadAllCommand extends StoreCommand {

    @Option(names = "--after", paramLabel = "P", converter = Converters.NonNegative.class, defaultValue = "0",
            description = "Only events at global positions above P (default 0: from the start).")
    long after;

    @Option(names = "--count", paramLabel = "N", converter = Converters.NonNegative.class, defaultValue = "0",
            description = "At most N events; 0 (the default) means all.")
    long count;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        try (CliStore store = open(OpenMode.MUST_EXIST);
                StreamIterator events = store.readAll(new ReadAllOptions(after, count))) {
            output.printer(out()).printAll(events, out());
        }
        return ExitCodes.OK;
    }
}
