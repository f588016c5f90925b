package dev.estoria.cli;

import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.subscription.Subscription;
import dev.estoria.subscription.SubscriptionOptions;
import java.io.PrintWriter;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tail}: prints events as they are appended, until interrupted.
 *
 * <p>It follows the global log with a {@link Subscription}: appends made through the store it opened
 * wake it at once, appends the store hears of from other processes too (where the backend
 * notifies), and it reads again every {@code --interval} in any case, so nothing depends on a
 * notification arriving. The global log's stable prefix guarantees that resuming after the last
 * position misses nothing. Estoria's own streams (snapshots) are left out unless {@code
 * --include-internal} is given or they are named with {@code --stream-type}.
 *
 * <p>It ends cleanly, closing the store, on Ctrl-C (SIGINT or SIGTERM) and when stdout is closed
 * (noticed at the next event it prints, as a pipe reports a gone reader only on a write).
 */
@Command(name = "tail",
        description = {"Follow the global log: print new events as they are appended, until Ctrl-C.",
            "Without --after it starts at the current end; --after 0 prints every event first.",
            "Estoria's own streams (estoria.*, such as snapshots) are left out unless --include-internal."})
final class TailCommand extends StoreCommand {

    /** Events read at a time: bounds memory when catching up on a long log. */
    static final int BATCH = 1000;

    /** How long one wait for new events lasts before the loop checks whether to stop. */
    private static final Duration IDLE_WAIT = Duration.ofMinutes(1);

    /** The longest --interval: longer ones overflow the subscription's clock arithmetic. */
    private static final Duration MAX_INTERVAL = Duration.ofDays(1);

    /** The longest an interrupted process waits for the loop to close the store. */
    private static final long SHUTDOWN_GRACE_MILLIS = 2000;

    @Option(names = "--after", paramLabel = "P", converter = Converters.NonNegative.class,
            description = "Start after global position P instead of at the current end.")
    Long after;

    @Option(names = "--interval", paramLabel = "MILLIS", converter = Converters.Positive.class, defaultValue = "200",
            description = "How often to read the log even without a notification of an append "
                    + "(default ${DEFAULT-VALUE} ms).")
    long intervalMillis;

    @Option(names = "--include-internal",
            description = "Also print the events of Estoria's own streams (estoria.*, such as snapshots).")
    boolean includeInternal;

    @Mixin
    FilterOptions filter;

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() throws InterruptedException {
        if (intervalMillis > MAX_INTERVAL.toMillis()) {
            throw new BadInputException("--interval must be at most " + MAX_INTERVAL.toMillis() + " ms (a day), was "
                    + intervalMillis);
        }
        EventFilter selected = filter.filter(includeInternal);
        CountDownLatch stop = new CountDownLatch(1);
        CountDownLatch finished = new CountDownLatch(1);
        AtomicReference<Subscription> live = new AtomicReference<>();
        Interrupts.Registration registration = environment().interrupts().register(() -> {
            stop.countDown();
            Subscription subscription = live.get();
            if (subscription != null) {
                subscription.close(); // wakes a waiting read
            }
            awaitQuietly(finished);
        });
        try {
            follow(selected, stop, live);
        } finally {
            registration.close();
            finished.countDown();
        }
        return ExitCodes.OK;
    }

    private void follow(EventFilter selected, CountDownLatch stop, AtomicReference<Subscription> live)
            throws InterruptedException {
        PrintWriter out = out();
        OutputOptions.EventPrinter printer = output.printer(out);
        try (CliStore store = open(OpenMode.MUST_EXIST)) {
            long position = after != null ? after : store.headPosition();
            if (environment().stderrIsTerminal()) {
                err().println("following events after position " + position + " (Ctrl-C to stop)");
                err().flush();
            }
            SubscriptionOptions options = SubscriptionOptions.defaults().afterPosition(position).filter(selected)
                    .batchSize(BATCH).pollInterval(Duration.ofMillis(intervalMillis));
            try (Subscription subscription = Subscription.to(store, options)) {
                live.set(subscription);
                if (stop.getCount() == 0) {
                    return; // interrupted while opening
                }
                long printed = 0;
                while (stop.getCount() > 0) {
                    Optional<Event> next = subscription.next(Duration.ZERO);
                    if (next.isEmpty()) {
                        // Caught up: show what was printed, and stop if nobody reads it any more.
                        printer.flush();
                        if (out.checkError()) {
                            return;
                        }
                        // The subscription reads again on every wake-up and every --interval while
                        // it waits; it returns early with nothing only when an interrupt closed it.
                        next = subscription.next(IDLE_WAIT);
                        if (next.isEmpty()) {
                            continue;
                        }
                    }
                    printer.print(next.get());
                    if (++printed % OutputOptions.CHECK_EVERY == 0) {
                        printer.flush();
                        if (out.checkError()) {
                            return;
                        }
                    }
                }
            } finally {
                live.set(null);
            }
        }
    }

    private static void awaitQuietly(CountDownLatch finished) {
        try {
            finished.await(SHUTDOWN_GRACE_MILLIS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
