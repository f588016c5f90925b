package dev.estoria.bench;

import dev.estoria.aggregate.Aggregate;
import dev.estoria.aggregate.AggregateType;
import dev.estoria.aggregate.EventSourcedAggregateStore;
import dev.estoria.aggregate.SnapshottingAggregateStore;
import dev.estoria.codec.Codec;
import dev.estoria.codec.CodecException;
import dev.estoria.snapshot.EventStreamSnapshotStore;
import dev.estoria.snapshot.SnapshotPolicy;
import dev.estoria.snapshot.SnapshotStore;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * Aggregate load time with and without a snapshot, on each given backend: one aggregate of {@link
 * BenchSettings#aggregateEvents()} events, saved in saves of up to 1,000 events through a {@link
 * SnapshottingAggregateStore} whose policy snapshots at the last version. Without a snapshot the
 * aggregate is loaded by {@link EventSourcedAggregateStore} (full replay); with one, by a
 * snapshotting store (the snapshot, then no events after it), once over the backend's snapshot
 * table and once over an {@link EventStreamSnapshotStore} in the same event store.
 *
 * <p>Goal: loading with the snapshot table at least 50x faster than the full replay.
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
    private static final int MIN_WARMUP_LOADS = 20;
    private static final int LOADS_PER_BLOCK = 25;

    private AggregateLoadBenchmark() {
    }

    /** Runs the benchmark on each backend in turn. */
    public static BenchReport run(BenchSettings settings, Backend... backends) {
        int events = settings.aggregateEvents();
        int repetitions = settings.repetitions();
        Duration warmup = settings.warmup().multipliedBy(2);
        ResultTable.Builder table = new ResultTable.Builder("Aggregate load (" + String.format(Locale.ROOT, "%,d",
                events) + " events)", "backend", "without snapshot ms", "snapshot table ms", "speed-up",
                "snapshot stream ms", "speed-up");
        List<GoalCheck> goals = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Backend backend : backends) {
            names.add(backend.name());
            try (Backend.Opened opened = backend.open()) {
                AggregateType<Counter, Added> type = type();
                EventSourcedAggregateStore<Counter, Added> plain =
                        new EventSourcedAggregateStore<>(opened.store(), type);
                SnapshotStore tableSnapshots = opened.snapshots();
                SnapshotStore streamSnapshots = EventStreamSnapshotStore.create(opened.store());
                SnapshottingAggregateStore<Counter, Added> inTable = snapshotting(plain, tableSnapshots, events);
                SnapshottingAggregateStore<Counter, Added> inStream = snapshotting(plain, streamSnapshots, events);
                UUID id = UUID.randomUUID();
                Aggregate<Counter, Added> aggregate = inTable.create(id);
                for (int i = 1; i <= events; i++) {
                    aggregate.record(new Added(i));
                    if (i % SAVE_SIZE == 0 || i == events) {
                        inTable.save(aggregate);
                    }
                }
                // Both snapshot stores hold the same snapshot, at the last version.
                streamSnapshots.write(tableSnapshots.read(TypeId.of(TYPE, id), events)
                        .orElseThrow(() -> new IllegalStateException("no snapshot was written")));
                Counter expected = new Counter((long) events * (events + 1) / 2, events);
                List<Loader> loaders = List.of(
                        () -> check(plain.load(id), expected, events),
                        () -> check(inTable.load(id), expected, events),
                        () -> check(inStream.load(id), expected, events));
                // A service loads aggregates all day: measure compiled code, not the interpreter. A
                // cheap load runs its code a few hundred times in a fixed number of rounds, too few for
                // the JIT, so each kind warms up for a fixed time instead.
                for (Loader loader : loaders) {
                    long until = System.nanoTime() + warmup.toNanos();
                    for (int i = 0; i < MIN_WARMUP_LOADS || System.nanoTime() < until; i++) {
                        loader.load();
                    }
                }
                // Each kind of load runs in a block of its own, as it would in a service that loads
                // from snapshots all day; repetitions alternate the blocks to even out drift.
                double[][] nanos = new double[loaders.size()][repetitions];
                for (int i = 0; i < repetitions; i++) {
                    for (int l = 0; l < loaders.size(); l++) {
                        double[] block = new double[LOADS_PER_BLOCK];
                        for (int j = 0; j < LOADS_PER_BLOCK; j++) {
                            block[j] = time(loaders.get(l));
                        }
                        nanos[l][i] = Stats.median(block);
                    }
                }
                double full = Stats.median(nanos[0]);
                double table1 = Stats.median(nanos[1]);
                double stream = Stats.median(nanos[2]);
                table.row(backend.name(), Format.millis(full), Format.millis(table1), Format.ratio(full / table1),
                        Format.millis(stream), Format.ratio(full / stream));
                settings.progress().step("aggregate load, " + backend.name() + ": " + Format.millis(full)
                        + " ms without a snapshot, " + Format.millis(table1) + " ms with one");
                goals.add(GoalCheck.atLeast(backend.name() + ": aggregate load speed-up with a snapshot (snapshot"
                        + " table)", full / table1, 50));
            }
        }
        table.note("Each figure: the median over " + repetitions + " repetitions of the median of a block of "
                + LOADS_PER_BLOCK + " consecutive loads of one kind (full replay, snapshot table, snapshot stream),"
                + " after a " + warmup.toMillis() + " ms warm-up of each (at least " + MIN_WARMUP_LOADS + " loads)."
                + " Snapshot table: the backend's own snapshot store (one indexed row);"
                + " snapshot stream: snapshots kept as events of a parallel stream in the same event store. Events:"
                + " 8-byte ASCII payloads decoded by a minimal codec, so the replay cost is mostly the store's read.");
        return new BenchReport("Aggregate load with and without a snapshot (" + String.join(", ", names) + ")",
                List.of(settings.describe(), Environment.describe()), List.of(table.build()), goals);
    }

    private static SnapshottingAggregateStore<Counter, Added> snapshotting(
            EventSourcedAggregateStore<Counter, Added> plain, SnapshotStore snapshots, int events) {
        return new SnapshottingAggregateStore<>(plain, snapshots, SnapshotPolicy.everyNEvents(events), Counter.class);
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
