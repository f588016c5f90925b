package dev.estoria.cli;

import dev.estoria.cli.format.EventJson;
import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
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

    @Override
    public Integer call() {
        PrintWriter out = out();
        try (CliStore store = open(OpenMode.MUST_EXIST);
                StreamIterator events = store.readAll(ReadAllOptions.after(after))) {
            long written = 0;
            for (Event event : events) {
                out.println(EventJson.write(event));
                if (++written % OutputOptions.CHECK_EVERY == 0 && out.checkError()) {
                    break;
                }
            }
        }
        out.flush();
        if (out.checkError()) {
            throw new UncheckedIOException(new IOException("cannot write the export to stdout"));
        }
        return ExitCodes.OK;
    }
}
