package dev.estoria.bench;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStore;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.subscription.Subscription;
import dev.estoria.subscription.SubscriptionOptions;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Append-to-handler latency of a live {@link Subscription} in the same process, on each given
 * backend. The subscription polls only every {@value #POLL_SECONDS} seconds, so a prompt delivery
 * comes from the store's append notification. One writer appends one event at a time and waits
 * until the subscriber's handler has it; the latency is from just before {@code appendStream} is
 * called to the handler receiving the event (so it includes the append's own commit).
 *
 * <p>Goal: p50 under 5 ms.
 */
public final class ProjectionLatencyBenchmark {

    static final int POLL_SECONDS = 30;
    private static final int WARMUP_APPENDS = 20;

    private ProjectionLatencyBenchmark() {
    }

    /** Runs the benchmark on each backend in turn. */
    public static BenchReport run(BenchSettings settings, Backend... backends) throws Exception {
        ResultTable.Builder table = new ResultTable.Builder("Projection latency (append -> handler, one writer)",
                "backend", "appends timed", "p50 ms", "p99 ms", "max ms", "append alone p50 ms");
        List<GoalCheck> goals = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Backend backend : backends) {
            names.add(backend.name());
            double[] p50 = new double[settings.repetitions()];
            double[] p99 = new double[settings.repetitions()];
            double[] max = new double[settings.repetitions()];
            double[] append = new double[settings.repetitions()];
            for (int rep = 0; rep < settings.repetitions(); rep++) {
                try (Backend.Opened opened = backend.open()) {
                    double[] r = once(opened.store(), settings.projectionEvents());
                    p50[rep] = r[0];
                    p99[rep] = r[1];
                    max[rep] = r[2];
                    append[rep] = r[3];
                }
            }
            double medianP50 = Stats.median(p50);
            settings.progress().step("projection latency, " + backend.name() + ": p50 " + Format.millis(medianP50) + " ms");
            table.row(backend.name(), settings.repetitions() + " x " + settings.projectionEvents(),
                    Format.millis(medianP50), Format.millis(Stats.median(p99)), Format.millis(Stats.median(max)),
                    Format.millis(Stats.median(append)));
            goals.add(GoalCheck.atMost(backend.name() + ": projection latency p50 (ms)", medianP50 / 1e6, 5));
        }
        table.note("Subscription poll interval " + POLL_SECONDS + " s: deliveries come from the store's in-process"
                + " append notification. Each repetition on a fresh store, after " + WARMUP_APPENDS + " untimed"
                + " appends; medians over repetitions of each repetition's percentiles. \"append alone\" is the"
                + " appendStream call's own latency in the same runs.");
        return new BenchReport("Projection latency (" + String.join(", ", names) + ")",
                List.of(settings.describe(), Environment.describe()), List.of(table.build()), goals);
    }

    /** One repetition: returns {p50, p99, max, append p50} in nanoseconds. */
    private static double[] once(EventStore store, int timed) throws Exception {
        SynchronousQueue<Long> received = new SynchronousQueue<>();
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Subscription subscription = Subscription.to((GlobalReader) store,
                SubscriptionOptions.defaults().pollInterval(Duration.ofSeconds(POLL_SECONDS)));
        Thread subscriber = Thread.ofPlatform().name("bench-subscriber").start(() -> {
            try {
                while (true) {
                    Optional<Event> event = subscription.next();
                    if (event.isEmpty()) {
                        return;
                    }
                    received.put(System.nanoTime());
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (Throwable t) {
                failure.set(t);
            }
        });
        LongList latencies = new LongList();
        LongList appendLatencies = new LongList();
        try {
            TypeId stream = TypeId.newV7(Payloads.STREAM_TYPE);
            for (int i = 0; i < WARMUP_APPENDS + timed; i++) {
                long start = System.nanoTime();
                store.appendStream(stream, Payloads.batch(1), i == 0 ? AppendStreamOptions.expectingNoStream()
                        : AppendStreamOptions.expectingVersion(i));
                long appended = System.nanoTime();
                Long at = received.poll(POLL_SECONDS * 2L, TimeUnit.SECONDS);
                if (at == null) {
                    throw new IllegalStateException("the subscriber did not receive event " + (i + 1)
                            + (failure.get() == null ? "" : ": " + failure.get()), failure.get());
                }
                if (i >= WARMUP_APPENDS) {
                    latencies.add(at - start);
                    appendLatencies.add(appended - start);
                }
            }
        } finally {
            subscription.close();
            subscriber.interrupt();
            subscriber.join();
        }
        long[] sorted = latencies.sorted();
        long[] appends = appendLatencies.sorted();
        return new double[] {Stats.percentile(sorted, sorted.length, 0.5),
            Stats.percentile(sorted, sorted.length, 0.99), sorted[sorted.length - 1],
            Stats.percentile(appends, appends.length, 0.5)};
    }
}
