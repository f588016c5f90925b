package dev.estoria.cli;

import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.Direction;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import java.io.PrintWriter;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tail}: prints events as they are appended, until interrupted.
 *
 * <p>It polls the global log from the last position it printed, waiting {@code --interval} between
 * polls that find nothing; the global log's stable prefix guarantees that resuming after the last
 * position misses nothing. It ends cleanly, closing the store, on Ctrl-C (SIGINT or SIGTERM) and
 * when stdout is closed (noticed at the next event it prints, as a pipe reports a gone reader only
 * on a write).
 */
@Command(name = "tail",
        description = {"Follow the global log: print new events as they are appended, until Ctrl-C.",
            "Without --after it starts at the current end; --after 0 prints every event first."})
final class TailCommand extends StoreCommand {

    /** Events read per poll: bounds memory and latency when catching up on a long log. */
    static final int BATCH = 1000;

    /** The longest an interrupted process waits for the loop to close the store. */
    private static final long SHUTDOWN_GRACE_MILLIS = 2000;

    @Option(names = "--after", paramLabel = "P", converter = Converters.NonNegative.class,
            description = "Start after global position P instead of at the current end.")
    Long after;

    @Option(names = "--interval", paramLabel = "MILLIS", converter = Converters.Positive.class, defaultValue = "200",
            description = "How long to wait between polls that found nothing (default ${DEFAULT-VALUE} ms).")
    long intervalMillis;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws InterruptedException {
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        Interrupts.Registration registration = environment().interrupts().register(() -> {
            stop.countDown();
            awaitQuietly(finished);
        });
        try {
            follow(stop);
        } finally {
            registration.close();
            finished.countDown();
        }
        return ExitCodes.OK;
    }

    private void follow(CountDownLatch stop) throws InterruptedException {
        PrintWriter out = out();
        OutputOptions.EventPrinter printer = output.printer(out);
        try (CliStore store = open(OpenMode.MUST_EXIST)) {
            long position = after != null ? after : lastPosition(store);
            if (environment().interactive()) {
                err().println("following events after position " + position + " (Ctrl-C to stop)");
                err().flush();
            }
            while (stop.getCount() > 0) {
                int read = 0;
                try (StreamIterator events = store.readAll(new ReadAllOptions(position, BATCH))) {
                    for (Event event : events) {
                        printer.print(event);
                        position = event.globalPosition().orElseThrow();
                        read++;
                    }
                }
                printer.flush();
                if (out.checkError()) {
                    return; // stdout is closed: nobody is listening any more
                }
                if (read < BATCH && stop.await(intervalMillis, TimeUnit.MILLISECONDS)) {
                    return;
                }
            }
        }
    }

    /** The global position of the newest event: the highest last position over all streams. */
    private static long lastPosition(CliStore store) {
        long last = 0;
        for (StreamInfo stream : store.listStreams()) {
            try (StreamIterator newest = store.readStream(stream.streamId(),
                    ReadStreamOptions.defaults().direction(Direction.REVERSE).count(1))) {
                if (newest.hasNext()) {
                    last = Math.max(last, newest.next().globalPosition().orElse(0));
                }
            } catch (StreamNotFoundException deletedMeanwhile) {
                // Deleted since it was listed: it has no newest event any more.
            }
        }
        return last;
    }

    private static void awaitQuietly(CountDownLatch finished) {
        try {
            finished.await(SHUTDOWN_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
