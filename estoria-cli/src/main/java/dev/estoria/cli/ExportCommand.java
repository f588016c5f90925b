package dev.estoria.cli;

import dev.estoria.cli.format.EventJson;
import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code export}: writes the global log as NDJSON, for {@code import}. */
@Command(name = "export",
        description = {"Write every event as NDJSON on stdout, in global order, for 'import'.",
            "Each line keeps the event's ID, type, stream, metadata, content type and exact payload."})
final class ExportCommand extends StoreCommand {

    @Option(names = "--after", paramLabel = "P", converter = Converters.NonNegative.class, defaultValue = "0",
            description = "Only events at global positions above P (default 0: everything).")
    long after;

    @Option(names = "--wait", paramLabel = "SECONDS", converter = Converters.NonNegative.class, defaultValue = "30",
            description = {"How long to wait, at most, for events committed before the export began that the store "
                + "still holds back from readers (PostgreSQL, while an older transaction is open); then exit 4, "
                + "with what was written so far on stdout (default 30)."})
    long waitSeconds;

    @Override
    public Integer call() {
        PrintWriter out = out();
        try (CliStore store = open(OpenMode.MUST_EXIST)) {
            // Taken before reading: every event committed by now belongs in the export.
            long target = store.watermark().map(CliStore.Watermark::committedHead).orElse(0L);
            long last = write(store, after, out);
            if (last < target && !out.checkError()) {
                if (!FeedWait.awaitReadable(store, target, Duration.ofSeconds(waitSeconds), err(),
                        "the events committed before the export began")) {
                    out.flush();
                    throw new EventStoreException("export incomplete: events committed up to global position " + target
                            + " before it began are still held back from readers ("
                            + store.watermark().orElseThrow().heldBackBy() + "); it wrote the events up to position "
                            + last + ". Once that transaction ends, export again, or add the rest with --after " + last);
                }
                write(store, last, out);
            }
        }
        out.flush();
        if (out.checkError()) {
            throw new UncheckedIOException(new IOException("cannot write the export to stdout"));
        }
        return ExitCodes.OK;
    }

    /** Writes the events after {@code from}; returns the position of the last one written, or {@code from}. */
    private static long write(CliStore store, long from, PrintWriter out) {
        long last = from;
        try (StreamIterator events = store.readAll(ReadAllOptions.after(from))) {
            long written = 0;
            for (Event event : events) {
                out.println(EventJson.write(event));
                last = event.globalPosition().orElseThrow();
                if (++written % OutputOptions.CHECK_EVERY == 0 && out.checkError()) {
                    break;
                }
            }
        }
        return last;
    }
}
