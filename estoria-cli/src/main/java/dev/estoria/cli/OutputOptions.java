package dev.estoria.cli;

import dev.estoria.cli.format.EventJson;
import dev.estoria.cli.format.EventTable;
import dev.estoria.eventstore.Event;
import java.io.PrintWriter;
import picocli.CommandLine.Option;

/** The {@code --format} option of the commands that print events. */
final class OutputOptions {

    /** How many events are printed between checks that stdout still works; a check flushes. */
    static final int CHECK_EVERY = 256;

    /** How events are printed. */
    enum Format {
        /** One JSON object per line: for programs. */
        NDJSON,
        /** Aligned columns: for people. */
        TABLE
    }

    /** Names the formats in lower case, as the documentation does. */
    static final class FormatConverter implements picocli.CommandLine.ITypeConverter<Format> {
        @Override
        public Format convert(String value) {
            for (Format format : Format.values()) {
                if (format.name().equalsIgnoreCase(value)) {
                    return format;
                }
            }
            throw new picocli.CommandLine.TypeConversionException("expected ndjson or table, was '" + value + "'");
        }
    }

    @Option(names = "--format", paramLabel = "FORMAT", defaultValue = "ndjson", converter = FormatConverter.class,
            description = "ndjson (one JSON object per line, the default) or table (for people).")
    Format format;

    /** Starts printing events to {@code out} in the chosen format. */
    EventPrinter printer(PrintWriter out) {
        if (format == Format.TABLE) {
            EventTable table = EventTable.events(out);
            return new EventPrinter() {
                @Override
                public void print(Event event) {
                    table.add(event);
                }

                @Override
                public void flush() {
                    table.flush();
                    out.flush();
                }

                @Override
                public void finish() {
                    table.finish();
                    out.flush();
                }
            };
        }
        return new EventPrinter() {
            @Override
            public void print(Event event) {
                out.println(EventJson.write(event));
            }

            @Override
            public void flush() {
                out.flush();
            }

            @Override
            public void finish() {
                out.flush();
            }
        };
    }

    /** Prints events one by one. */
    interface EventPrinter {
        void print(Event event);

        /**
         * Prints every event of {@code events}, stopping early if stdout fails (a closed pipe, as
         * when {@code head} has read enough), then finishes.
         */
        default void printAll(Iterable<Event> events, PrintWriter out) {
            long printed = 0;
            for (Event event : events) {
                print(event);
                if (++printed % CHECK_EVERY == 0 && out.checkError()) {
                    return;
                }
            }
            finish();
        }

        /** Prints what is buffered, keeping the table's columns for later rows. */
        void flush();

        /** Prints the rest; for a table, a placeholder line if there were no events. */
        void finish();
    }
}
