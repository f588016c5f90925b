package dev.estoria.cli;

import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code read-all}: prints the global log, every stream included (Estoria's own streams too), or the
 * events that {@code --stream-type} and {@code --event-type} select, filtered by the store.
 */
@Command(name = "read-all",
        description = {"Print the events of every stream in global order.",
            "--stream-type and --event-type keep only the matching events; --count counts those."})
final class ReadAllCommand extends StoreCommand {

    @Option(names = "--after", paramLabel = "P", converter = Converters.NonNegative.class, defaultValue = "0",
            description = "Only events at global positions above P (default 0: from the start).")
    long after;

    @Option(names = "--count", paramLabel = "N", converter = Converters.NonNegative.class, defaultValue = "0",
            description = "At most N events; 0 (the default) means all.")
    long count;

    @Mixin
    FilterOptions filter;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        EventFilter selected = filter.filter(true);
        try (CliStore store = open(OpenMode.MUST_EXIST)) {
            long committed = store.watermark().map(CliStore.Watermark::committedHead).orElse(0L);
            // Not waited for, as export does: this shows the log as readers see it now, and says so.
            // The newest committed event exists, so a readable head below it means it is held back.
            boolean heldBack = committed > after && store.headPosition() < committed;
            try (StreamIterator events = store.readAll(new ReadAllOptions(after, count, selected))) {
                output.printer(out()).printAll(events, out());
            }
            if (heldBack && count == 0) {
                err().println("warning: events committed up to global position " + committed + " are not shown yet,"
                        + " held back from readers until an older transaction ends ("
                        + store.watermark().orElseThrow().heldBackBy() + ")");
            }
        }
        return ExitCodes.OK;
    }
}
