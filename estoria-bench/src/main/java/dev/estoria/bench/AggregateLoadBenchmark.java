package dev.estoria.bench;

import dev.estoria.aggregate.Aggregate;
import dev.estoria.aggregate.AggregateType;
import dev.estoria.aggregate.EventSourcedAggregateStore;
import dev.estoria.aggregate.SnapshottingAggregateStore;
import dev.estoria.codec.Codec;
import dev.estoria.codec.CodecException;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.SnapshotPolicy;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Aggregate load time with and without a snapshot, on each given backend: one aggregate of {@link
 * BenchSettings#aggregateEvents()} events, saved in saves of up to 1,000 events through a {@link
 * SnapshottingAggregateStore} over an {@link EventStreamSnapshotStore} whose policy snapshots at
 * the last version. Without a snapshot the aggregate is loaded by {@link EventSourcedAggregateStore}
 * (full replay); with one, by the snapshotting store (the snapshot, then no events after it).
 *
 * <p>Goal: loading with the snapshot at least 50x faster.
 */
public final class AggregateLoadBenchmark {

    /** The benchmark's one event: an amount added to the counter. */
    public record Added(long amount) {
    }

    /** The benchmark's aggregate state. */
    public record Counter(long total, long count) {
    }

    private static final String TYPE = "benchcounter";
    private static final int SAVE_SIZE = 1_000;

    private AggregateLoadBenchmark() {
    }

    /** Runs the benchmark on each backend in turn. */
    public static BenchReport run(BenchSettings settings, Backend... backends) {
        int events = settings.aggregateEvents();
        int repetitions = Math.max(5, settings.repetitions());
        ResultTable.Builder table = new ResultTable.Builder("Aggregate load (" + String.format(Locale.ROOT, "%,d",
                events) + " events)", "backend", "without snapshot ms", "with snapshot ms", "speed-up");
        List<GoalCheck> goals = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Backend backend : backends) {
            names.add(backend.name());
            try (Backend.Opened opened = backend.open()) {
                AggregateType<Counter, Added> type = type();
                EventSourcedAggregateStore<Counter, Added> plain =
                        new EventSourcedAggregateStore<>(opened.store(), type);
                SnapshottingAggregateStore<Counter, Added> snapshotting = new SnapshottingAggregateStore<>(plain,
                        EventStreamSnapshotStore.create(opened.store()), SnapshotPolicy.everyNEvents(events),
                        Counter.class);
                UUID id = UUID.randomUUID();
                Aggregate<Counter, Added> aggregate = snapshotting.create(id);
                for (int i = 1; i <= events; i++) {
                    aggregate.record(new Added(i));
                    if (i % SAVE_SIZE == 0 || i == events) {
                        snapshotting.save(aggregate);
                    }
                }
                Counter expected = new Counter((long) events * (events + 1) / 2, events);
                Loader full = () -> check(plain.load(id), expected, events);
                Loader fromSnapshot = () -> check(snapshotting.load(id), expected, events);
                for (int i = 0; i < 2; i++) {
                    full.load();
                    fromSnapshot.load();
                }
                double[] fullNanos = new double[repetitions];
                double[] snapshotNanos = new double[repetitions];
                for (int i = 0; i < repetitions; i++) {
                    fullNanos[i] = time(full);
                    snapshotNanos[i] = time(fromSnapshot);
                }
                double f = Stats.median(fullNanos);
                double s = Stats.median(snapshotNanos);
                table.row(backend.name(), Format.millis(f), Format.millis(s), Format.ratio(f / s));
                goals.add(GoalCheck.atLeast(backend.name() + ": aggregate load speed-up with a snapshot", f / s, 50));
            }
        }
        table.note("Median of " + repetitions + " alternating loads after 2 warm-up loads of each. Events: 8-byte"
                + " ASCII payloads decoded by a minimal codec, so the replay cost is mostly the store's read.");
        return new BenchReport("Aggregate load with and without a snapshot (" + String.join(", ", names) + ")",
                List.of(settings.describe(), Environment.describe()), List.of(table.build()), goals);
    }

    @FunctionalInterface
    private interface Loader {
        void load();
    }

    private static double time(Loader loader) {
        long start = System.nanoTime();
        loader.load();
        return System.nanoTime() - start;
    }

    private static void check(Aggregate<Counter, Added> loaded, Counter expected, long version) {
        if (loaded.version() != version || !loaded.state().equals(expected)) {
            throw new IllegalStateException("loaded " + loaded.state() + " at version " + loaded.version()
                    + ", expected " + expected + " at " + version);
        }
    }

    static AggregateType<Counter, Added> type() {
        return AggregateType.builder(TYPE, Added.class, id -> new Counter(0, 0))
                .event("added", Added.class)
                .evolve((state, event) -> new Counter(state.total() + event.amount(), state.count() + 1))
                .codec(new TextCodec())
                .build();
    }

    /** Encodes the two records as comma-separated decimal text. */
    static final class TextCodec implements Codec {
        @Override
        public String contentType() {
            return "text/x-estoria-bench";
        }

        @Override
        public byte[] encode(Object value) {
            String text = switch (value) {
                case Added added -> Long.toString(added.amount());
                case Counter counter -> counter.total() + "," + counter.count();
                default -> throw new CodecException("cannot encode " + value.getClass().getName());
            };
            return text.getBytes(StandardCharsets.US_ASCII);
        }

        @Override
        public <T> T decode(byte[] data, Class<T> type) {
            String text = new String(data, StandardCharsets.US_ASCII);
            try {
                if (type == Added.class) {
                    return type.cast(new Added(Long.parseLong(text)));
                }
                if (type == Counter.class) {
                    int comma = text.indexOf(',');
                    return type.cast(new Counter(Long.parseLong(text.substring(0, comma)),
                            Long.parseLong(text.substring(comma + 1))));
                }
            } catch (NumberFormatException | StringIndexOutOfBoundsException e) {
                throw new CodecException("malformed " + type.getSimpleName() + ": " + text, e);
            }
            throw new CodecException("cannot decode " + type.getName());
        }
    }
}
