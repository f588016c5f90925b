package dev.estoria.bench;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One measured write run: {@code writers} threads, each appending to its own stream with exact
 * expected versions, first for a warm-up period, then, after all have finished warming up, for the
 * measured period. Throughput and latencies count the appends that finished inside the measured
 * window, and throughput divides them by the window's length.
 */
final class WriteRun {

    /** What one run measured. */
    record Result(long appends, double seconds, double p50Nanos, double p99Nanos) {
        double appendsPerSecond() {
            return appends / seconds;
        }
    }

    private WriteRun() {
    }

    static Result run(AppendSubject.Factory factory, int writers, int eventsPerAppend, Duration warmup,
            Duration measure) throws Exception {
        try (AppendSubject subject = factory.create(writers)) {
            List<AppendSubject.Writer> sessions = new ArrayList<>(writers);
            try {
                for (int i = 0; i < writers; i++) {
                    sessions.add(subject.writer(i));
                }
                return measure(sessions, eventsPerAppend, warmup, measure);
            } finally {
                for (AppendSubject.Writer session : sessions) {
                    session.close();
                }
            }
        }
    }

    private static Result measure(List<AppendSubject.Writer> sessions, int eventsPerAppend, Duration warmup,
            Duration measure) throws Exception {
        int writers = sessions.size();
        AtomicLong start = new AtomicLong();
        CyclicBarrier measuredStart = new CyclicBarrier(writers, () -> start.set(System.nanoTime()));
        CyclicBarrier warmupStart = new CyclicBarrier(writers);
        LongList[] latencies = new LongList[writers];
        AtomicReference<Throwable> failure = new AtomicReference<>();
        List<Thread> threads = new ArrayList<>(writers);
        for (int i = 0; i < writers; i++) {
            int index = i;
            latencies[i] = new LongList();
            Thread thread = Thread.ofPlatform().name("bench-writer-" + i).unstarted(() -> {
                AppendSubject.Writer writer = sessions.get(index);
                LongList mine = latencies[index];
                long version = 0;
                try {
                    warmupStart.await();
                    long warmEnd = System.nanoTime() + warmup.toNanos();
                    while (System.nanoTime() < warmEnd && failure.get() == null) {
                        writer.append(version, eventsPerAppend);
                        version += eventsPerAppend;
                    }
                    measuredStart.await();
                    long end = start.get() + measure.toNanos();
                    long now = System.nanoTime();
                    while (now < end && failure.get() == null) {
                        writer.append(version, eventsPerAppend);
                        version += eventsPerAppend;
                        long after = System.nanoTime();
                        // Only appends finished inside the window count: a writer queued for a lock
                        // when the window closes may take long to finish its last one, and counting
                        // that time would charge the subject for an idle lock.
                        if (after <= end) {
                            mine.add(after - now);
                        }
                        now = after;
                    }
                } catch (Throwable t) {
                    failure.compareAndSet(null, t);
                    release(warmupStart);
                    release(measuredStart);
                }
            });
            threads.add(thread);
            thread.start();
        }
        for (Thread thread : threads) {
            thread.join();
        }
        Throwable failed = failure.get();
        if (failed != null) {
            if (failed instanceof BrokenBarrierException) {
                throw new IllegalStateException("a writer failed", failed);
            }
            throw new IllegalStateException("a writer failed: " + failed, failed);
        }
        LongList all = new LongList();
        for (int i = 0; i < writers; i++) {
            all.addAll(latencies[i]);
        }
        long[] sorted = all.sorted();
        double seconds = measure.toNanos() / 1e9;
        return new Result(sorted.length, seconds, Stats.percentile(sorted, sorted.length, 0.50),
                Stats.percentile(sorted, sorted.length, 0.99));
    }

    /**
     * Makes sure no writer waits at {@code barrier} for a writer that failed: arrives at it without
     * waiting, which either completes it or breaks it for good (later arrivals fail at once). A
     * {@link CyclicBarrier#reset() reset} would not do: a writer still appending when the barrier is
     * reset arrives at a fresh barrier afterwards and waits there forever.
     */
    private static void release(CyclicBarrier barrier) {
        try {
            barrier.await(0, TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (BrokenBarrierException | TimeoutException e) {
            // Broken now, or already: either way nobody is left waiting.
        }
    }

    /** The medians, over repetitions, of throughput, p50 and p99. */
    record Summary(double appendsPerSecond, double p50Nanos, double p99Nanos) {
        static Summary of(List<Result> results) {
            double[] rates = new double[results.size()];
            double[] p50 = new double[results.size()];
            double[] p99 = new double[results.size()];
            for (int i = 0; i < results.size(); i++) {
                rates[i] = results.get(i).appendsPerSecond();
                p50[i] = results.get(i).p50Nanos();
                p99[i] = results.get(i).p99Nanos();
            }
            return new Summary(Stats.median(rates), Stats.median(p50), Stats.median(p99));
        }
    }
}
