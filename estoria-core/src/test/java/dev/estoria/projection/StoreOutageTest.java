package dev.estoria.projection;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.TransientStoreException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.projection.ProjectionProcessorTest.Recorder;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A processor waits out a store outage (reads and checkpoint saves failing with {@link
 * TransientStoreException}) and goes on after the last handled event once the store is back; any
 * other store failure still stops it.
 */
@Timeout(60)
class StoreOutageTest {

    private final InMemoryEventStore store = InMemoryEventStore.create();
    private final ProjectionId id = ProjectionId.of("balances", 1);
    /** What the store's calls throw while it is down; null while it is up. */
    private volatile Supplier<RuntimeException> down;
    private final AtomicInteger refused = new AtomicInteger();
    /** What checkpoint saves alone throw while only writes fail; null otherwise. */
    private volatile Supplier<RuntimeException> savesDown;
    private final GlobalReader reader = new GlobalReader() {
        @Override
        public StreamIterator readAll(ReadAllOptions options) {
            refuseIfDown();
            return store.readAll(options);
        }
    };
    private final InMemoryCheckpointStore saved = InMemoryCheckpointStore.create();
    private final CheckpointStore checkpoints = new RecordingCheckpointStore(saved) {
        @Override
        public Optional<Checkpoint> load(ProjectionId projection) {
            refuseIfDown();
            return super.load(projection);
        }

        @Override
        public void save(ProjectionId projection, long position) {
            refuseIfDown();
            Supplier<RuntimeException> failure = savesDown;
            if (failure != null) {
                refused.incrementAndGet();
                throw failure.get();
            }
            super.save(projection, position);
        }
    };
    private ProjectionProcessor processor;

    @AfterEach
    void close() throws InterruptedException {
        if (processor != null) {
            processor.close();
        }
    }

    private void refuseIfDown() {
        Supplier<RuntimeException> failure = down;
        if (failure != null) {
            refused.incrementAndGet();
            throw failure.get();
        }
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("timed out waiting until " + what);
            }
            Thread.sleep(5); // polling an outcome, not ordering threads
        }
    }

    private long append() {
        return store.appendStream(TypeId.newV4("account"), List.of(WritableEvent.of("deposited", new byte[] {1})))
                .get(0).globalPosition().orElseThrow();
    }

    private ProjectionProcessor start(Recorder recorder) {
        processor = ProjectionProcessor.create(reader, checkpoints, id, recorder, ProjectionProcessor.Options.defaults()
                .pollInterval(Duration.ofMillis(20)).checkpointEvery(1)).start();
        return processor;
    }

    @Test
    void anOutageIsWaitedOutAndNoEventIsMissedOrHandledTwice() throws Exception {
        for (int i = 0; i < 3; i++) {
            append();
        }
        Recorder recorder = new Recorder();
        start(recorder);
        recorder.awaitCount(3);
        down = () -> new TransientStoreException("the database is restarting");
        int before = refused.get();
        long last = 0;
        for (int i = 0; i < 3; i++) {
            last = append();
        }
        await(() -> refused.get() >= before + 3, "three tries were refused");
        assertThat(processor.state()).as("still running through the outage").isNotEqualTo(State.FAILED);
        ProjectionStatus during = processor.status();
        assertThat(during.outage()).as("the status says it waits out an outage").hasValueSatisfying(outage -> {
            assertThat(outage.tries()).isGreaterThanOrEqualTo(2);
            assertThat(outage.cause()).contains("the database is restarting");
        });
        assertThat(during.lagEvents()).as("not countable while the store is down").isEqualTo(-1);
        down = null;

        recorder.awaitCount(6);
        await(() -> processor.outage().isEmpty(), "the outage is over once the store answers");
        List<Long> positions = recorder.events.stream().map(e -> e.globalPosition().orElseThrow()).toList();
        assertThat(positions).as("every event once, in order").hasSize(6).isSorted().doesNotHaveDuplicates();
        long head = last;
        await(() -> saved.load(id).map(Checkpoint::position).orElse(0L) == head, "the checkpoint reached the head");
        assertThat(processor.failure()).isEmpty();
        assertThat(processor.state()).isEqualTo(State.LIVE);
    }

    @Test
    void aLaterOutageStartsAgainFromTheShortestPause() throws Exception {
        LogRecorder log = new LogRecorder(ProjectionProcessor.class);
        log.start();
        try {
            append();
            Recorder recorder = new Recorder();
            start(recorder);
            recorder.awaitCount(1);
            await(() -> saved.load(id).isPresent(), "the checkpoint was saved at the head");
            down = () -> new TransientStoreException("the database is restarting");
            await(() -> processor.outage().map(o -> o.tries() >= 4).orElse(false), "four tries were refused");
            down = null;
            await(() -> processor.outage().isEmpty(), "the first outage is over");

            // Idle at the head, nothing new handled: only the round that went through says the
            // first outage is over, and the next one is a new outage, from its first pause.
            int before = log.messages().size();
            down = () -> new TransientStoreException("the database is restarting again");
            await(() -> log.messages().stream().skip(before).anyMatch(m -> m.contains("restarting again")),
                    "the second outage's first try was refused");
            down = null;
            String first = log.messages().stream().skip(before).filter(m -> m.contains("restarting again"))
                    .findFirst().orElseThrow();
            assertThat(first).as("the pause after a new outage's first try").contains("trying again in 100 ms");
            await(() -> processor.outage().isEmpty(), "the second outage is over");
        } finally {
            log.stop();
        }
    }

    @Test
    void aProcessorStartedDuringAnOutageStartsOnceTheStoreIsBack() throws Exception {
        long first = append();
        down = () -> new TransientStoreException("connection refused");
        Recorder recorder = new Recorder();
        start(recorder);
        await(() -> refused.get() >= 2, "the checkpoint load was refused twice");
        down = null;
        recorder.awaitCount(1);
        assertThat(recorder.events.get(0).globalPosition()).hasValue(first);
        assertThat(processor.failure()).isEmpty();
    }

    @Test
    void closingDuringAnOutageStopsTheProcessor() throws Exception {
        append();
        Recorder recorder = new Recorder();
        start(recorder);
        recorder.awaitCount(1);
        down = () -> new TransientStoreException("the database is restarting");
        await(() -> refused.get() >= 3, "the processor is retrying");
        assertThat(processor.outage()).as("waiting out the outage").isPresent();
        processor.close();
        assertThat(processor.state()).as("a close during an outage is no failure").isEqualTo(State.STOPPED);
        assertThat(processor.failure()).isEmpty();
        assertThat(processor.outage()).as("a stopped processor waits out nothing").isEmpty();
        assertThat(processor.status().outage()).isEmpty();
    }

    @Test
    void aProcessorThatFailsDuringAnOutageNoLongerSaysItWaitsItOut() throws Exception {
        append();
        Recorder recorder = new Recorder();
        start(recorder);
        recorder.awaitCount(1);
        down = () -> new TransientStoreException("the database is restarting");
        await(() -> processor.outage().isPresent(), "the processor waits out the outage");
        down = () -> new EventStoreException("the file is corrupt");
        await(() -> processor.state() == State.FAILED, "the processor failed");
        assertThat(processor.outage()).as("a failed processor waits out nothing").isEmpty();
    }

    @Test
    void anOutageOfCheckpointSavesAloneIsNotOverWhileEventsAreHandledWithoutASave() throws Exception {
        append();
        Recorder recorder = new Recorder();
        java.util.Map<Long, Boolean> outageSeen = new java.util.concurrent.ConcurrentHashMap<>();
        processor = ProjectionProcessor.create(reader, checkpoints, id, event -> {
            outageSeen.put(event.globalPosition().orElseThrow(), processor.outage().isPresent());
            recorder.handle(event);
        }, ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(20)).checkpointEvery(100));
        processor.start();
        recorder.awaitCount(1);
        await(() -> saved.load(id).isPresent(), "the checkpoint was saved at the head");
        savesDown = () -> new TransientStoreException("could not obtain the write lock");
        await(() -> processor.outage().map(o -> o.tries() >= 2).orElse(false), "two saves were refused");
        java.time.Instant since = processor.outage().orElseThrow().since();

        // Two events in one append, so both are read in the same try: reads work, the saves still fail.
        List<Event> two = store.appendStream(TypeId.newV4("account"), List.of(
                WritableEvent.of("deposited", new byte[] {1}), WritableEvent.of("deposited", new byte[] {2})));
        recorder.awaitCount(3);
        int refusedBefore = refused.get();
        await(() -> refused.get() > refusedBefore, "the next save refused");
        assertThat(outageSeen).as("whether each handler call saw the outage")
                .containsEntry(two.get(0).globalPosition().orElseThrow(), true)
                .containsEntry(two.get(1).globalPosition().orElseThrow(), true);
        assertThat(processor.outage().orElseThrow().since()).as("still the same outage").isEqualTo(since);

        savesDown = null;
        await(() -> processor.outage().isEmpty(), "the outage is over once a save goes through");
    }

    @Test
    void aCheckpointThatCouldNotBeLoadedIsNeverOverwritten() throws Exception {
        append();
        long stored = append();
        saved.save(id, stored);
        RecordingCheckpointStore unreadable = new RecordingCheckpointStore(saved) {
            @Override
            public Optional<Checkpoint> load(ProjectionId projection) {
                throw new EventStoreException("the checkpoint table is damaged");
            }
        };
        processor = ProjectionProcessor.create(reader, unreadable, id, new Recorder(),
                ProjectionProcessor.Options.defaults().pollInterval(Duration.ofMillis(20))).start();
        await(() -> processor.state() == State.FAILED, "the processor failed");
        assertThat(unreadable.saves()).as("checkpoint saves").isZero();
        assertThat(saved.load(id).orElseThrow().position()).isEqualTo(stored);
    }

    @Test
    void anyOtherStoreFailureStillStopsTheProcessor() throws Exception {
        append();
        Recorder recorder = new Recorder();
        start(recorder);
        recorder.awaitCount(1);
        down = () -> new EventStoreException("the file is corrupt");
        append();
        await(() -> processor.state() == State.FAILED, "the processor failed");
        assertThat(processor.failure()).get().extracting(Throwable::getMessage).isEqualTo("the file is corrupt");
        assertThat(recorder.events).extracting(Event::streamVersion).containsExactly(1L);
    }
}
