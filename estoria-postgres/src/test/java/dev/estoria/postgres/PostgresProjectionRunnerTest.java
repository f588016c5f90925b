package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.ProjectionId;
import dev.estoria.projection.ProjectionStatus.State;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The transactional projection runner in one process: concurrent runners, failures, live events. */
@Timeout(60)
class PostgresProjectionRunnerTest {

    private static final ProjectionId ID = ProjectionId.of("handled", 1);

    private final TestDatabase db = TestDatabase.get();
    private PostgresEventStore store;
    private String q;

    @BeforeEach
    void open() throws Exception {
        store = db.newStore();
        q = '"' + store.options().schema() + "\".";
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + q + "rm_handled (event_uuid uuid PRIMARY KEY, position bigint NOT NULL)");
        }
    }

    @AfterEach
    void drop() {
        db.discard(store);
    }

    private void append(int streams, int perStream) {
        for (int i = 0; i < streams; i++) {
            List<WritableEvent> events = new ArrayList<>();
            for (int e = 0; e < perStream; e++) {
                events.add(WritableEvent.of("ticked", new byte[] {(byte) e}));
            }
            store.appendStream(TypeId.newV4("ticks"), events);
        }
    }

    private PostgresProjectionRunner.TransactionalHandler recording(String failOn) {
        return (tx, event) -> {
            try (PreparedStatement s = tx.prepareStatement("INSERT INTO " + q + "rm_handled VALUES (?, ?)")) {
                s.setObject(1, event.id().uuid());
                s.setLong(2, event.globalPosition().orElseThrow());
                s.executeUpdate();
            }
            if (event.type().equals(failOn)) {
                throw new IllegalStateException("cannot handle " + event.id());
            }
        };
    }

    private long handledRows() throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM " + q + "rm_handled")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static PostgresProjectionRunner.Options options(int batch) {
        return PostgresProjectionRunner.Options.defaults().batchSize(batch).pollInterval(Duration.ofMillis(200));
    }

    @Test
    void twoRunnersOfOneProjectionApplyEveryEventOnce() throws Exception {
        append(20, 50);
        // A second store on the schema stands for a second process running the same projection.
        try (PostgresEventStore other = PostgresEventStore.open(db.dataSource(), store.options())) {
            PostgresProjectionRunner a = PostgresProjectionRunner.create(store, ID, recording(""), options(25)).start();
            PostgresProjectionRunner b = PostgresProjectionRunner.create(other, ID, recording(""), options(25)).start();
            assertThat(a.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            assertThat(b.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            append(4, 25);
            long head = store.readAll().toList().getLast().globalPosition().orElseThrow();
            a.close();
            b.close();
            assertThat(a.failure()).isEmpty();
            assertThat(b.failure()).isEmpty();
            // Whatever each applied, the read model holds each event once; the rest is caught up on restart.
            PostgresProjectionRunner c = PostgresProjectionRunner.create(store, ID, recording(""), options(25)).start();
            assertThat(c.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            c.close();
            assertThat(c.position()).isEqualTo(head);
            assertThat(handledRows()).isEqualTo(1100);
        }
    }

    @Test
    void aHandlerFailureRollsTheBatchBackAndStopsAtTheLastCommittedBatch() throws Exception {
        append(1, 30);
        TypeId bad = TypeId.newV4("ticks");
        store.appendStream(bad, List.of(WritableEvent.of("poison", new byte[0])));
        append(1, 5);
        PostgresProjectionRunner runner = PostgresProjectionRunner.create(store, ID, recording("poison"), options(20));
        runner.start();
        assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).isFalse();
        assertThat(runner.state()).isEqualTo(State.FAILED);
        assertThat(runner.failure()).get().asString().contains("cannot handle");
        // Batches: events 1..20 committed; 21..31 (with the poison at 31) rolled back.
        assertThat(handledRows()).isEqualTo(20);
        long twentieth = store.readAll().toList().get(19).globalPosition().orElseThrow();
        assertThat(PostgresCheckpointStore.of(store).load(ID).orElseThrow().position()).isEqualTo(twentieth);
        assertThat(runner.position()).isEqualTo(twentieth);
        runner.close();
    }

    @Test
    void followsNewEventsLiveWithTheFilter() throws Exception {
        PostgresProjectionRunner runner = PostgresProjectionRunner.create(store, ID, recording(""),
                options(10).filter(EventFilter.streamTypes("wanted"))).start();
        assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
        store.appendStream(TypeId.newV4("unwanted"), List.of(WritableEvent.of("x", new byte[0])));
        store.appendStream(TypeId.newV4("wanted"), List.of(WritableEvent.of("x", new byte[0])));
        long wanted = store.readAll().toList().getLast().globalPosition().orElseThrow();
        while (runner.position() < wanted && runner.state() == State.LIVE) {
            Thread.onSpinWait();
        }
        runner.close();
        assertThat(runner.position()).isEqualTo(wanted);
        assertThat(handledRows()).isEqualTo(1);
    }

    @Test
    void isolatedTransientFailuresAreRetriedEachTimeWithoutAddingUp() throws Exception {
        append(5, 1);
        java.util.Set<java.util.UUID> failedOnce = java.util.concurrent.ConcurrentHashMap.newKeySet();
        // Each event fails once, as a serialization failure would, then succeeds: more failures in all
        // than the retries one episode gets, but never two in a row without progress.
        PostgresProjectionRunner runner = PostgresProjectionRunner.create(store, ID, (tx, event) -> {
            if (failedOnce.add(event.id().uuid())) {
                throw new java.sql.SQLException("could not serialize access (simulated)", "40001");
            }
        }, PostgresProjectionRunner.Options.defaults().batchSize(1).pollInterval(Duration.ofMillis(50))).start();
        try {
            assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).as("caught up").isTrue();
            assertThat(runner.failure()).isEmpty();
            assertThat(failedOnce).hasSize(5);
        } finally {
            runner.close();
        }
    }

    @Test
    void transientFailuresOfSeparateEpisodesAtTheHeadDoNotAddUp() throws Exception {
        append(1, 1);
        installFailSwitch(store);
        PostgresProjectionRunner runner = PostgresProjectionRunner.create(store, ID, recording(""), options(20)).start();
        try {
            assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).as("caught up").isTrue();
            for (int episode = 1; episode <= 2; episode++) {
                failCheckpointWrites(true);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (runner.state() != State.FAILED && runner.outage().map(o -> o.tries() < 3).orElse(true)
                        && System.nanoTime() < deadline) {
                    Thread.sleep(10); // polling an outcome, not ordering threads
                }
                assertThat(runner.failure()).as("episode %d: three tries, fewer than the five an episode gets",
                        episode).isEmpty();
                assertThat(runner.outage()).as("episode %d", episode).isPresent();
                failCheckpointWrites(false);
                deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (runner.outage().isPresent() && System.nanoTime() < deadline) {
                    Thread.sleep(10); // polling an outcome, not ordering threads
                }
                assertThat(runner.outage()).as("episode %d is over: a heartbeat committed", episode).isEmpty();
            }
            assertThat(runner.state()).isEqualTo(State.LIVE);
        } finally {
            runner.close();
        }
    }

    /**
     * While the switch is on ({@link #failCheckpointWrites}), every write of {@code on}'s
     * checkpoints fails as a serialization failure would: at the head, with no new event, the
     * heartbeat is what fails.
     */
    private void installFailSwitch(PostgresEventStore on) throws Exception {
        String schema = '"' + on.options().schema() + "\".";
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + schema + "fail_switch (on_ boolean NOT NULL)");
            s.execute("INSERT INTO " + schema + "fail_switch VALUES (false)");
            s.execute("CREATE FUNCTION " + schema + "refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
                    + " IF (SELECT on_ FROM " + schema + "fail_switch) THEN"
                    + " RAISE EXCEPTION 'could not serialize access (simulated)' USING ERRCODE = '40001'; END IF;"
                    + " RETURN NEW; END $$");
            s.execute("CREATE TRIGGER refuse BEFORE INSERT OR UPDATE ON " + on.schema().checkpoints()
                    + " FOR EACH ROW EXECUTE FUNCTION " + schema + "refuse()");
        }
    }

    private void failCheckpointWrites(boolean on) throws Exception {
        failCheckpointWrites(store, on);
    }

    private void failCheckpointWrites(PostgresEventStore of, boolean on) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("UPDATE \"" + of.options().schema() + "\".fail_switch SET on_ = " + on);
        }
    }

    @Test
    void anOutageEndsWhenTheStoreAnswersThoughTheCheckpointRowStaysLockedByAnother() throws Exception {
        // The lock timeout is half the statement timeout: one second.
        PostgresEventStore mine = db.newStore(PostgresOptions.defaults().withStatementTimeout(Duration.ofSeconds(2)));
        try {
            mine.appendStream(TypeId.newV4("ticks"), List.of(WritableEvent.of("ticked", new byte[0])));
            installFailSwitch(mine);
            try (PostgresProjectionRunner runner = PostgresProjectionRunner.create(mine, ID, (tx, event) -> { },
                    options(10)).start()) {
                assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).as("caught up").isTrue();
                failCheckpointWrites(mine, true);
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (runner.outage().isEmpty() && System.nanoTime() < deadline) {
                    Thread.sleep(10); // polling an outcome, not ordering threads
                }
                assertThat(runner.outage()).as("the heartbeat fails").isPresent();
                // Another transaction (a second runner's long batch, say) holds the checkpoint row:
                // the runner's tries now end in lock timeouts, answers of a working store.
                try (Connection holder = db.connect()) {
                    holder.setAutoCommit(false);
                    try (Statement s = holder.createStatement()) {
                        s.execute("SELECT * FROM " + mine.schema().checkpoints() + " FOR UPDATE");
                    }
                    failCheckpointWrites(mine, false);
                    deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
                    while (runner.outage().isPresent() && System.nanoTime() < deadline) {
                        Thread.sleep(10); // polling an outcome, not ordering threads
                    }
                    assertThat(runner.outage()).as("over, though the row is still locked").isEmpty();
                    assertThat(runner.failure()).isEmpty();
                    holder.rollback();
                }
            }
        } finally {
            db.discard(mine);
        }
    }

    @Test
    void anErrorThrownByTheHandlerMarksTheRunnerFailed() throws Exception {
        append(1, 1);
        PostgresProjectionRunner runner = PostgresProjectionRunner.create(store, ID, (tx, event) -> {
            throw new AssertionError("handler bug");
        }, PostgresProjectionRunner.Options.defaults().pollInterval(Duration.ofMillis(50))).start();
        try {
            assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).isFalse();
            assertThat(runner.state()).isEqualTo(State.FAILED);
            assertThat(runner.failure()).get().isInstanceOf(AssertionError.class);
            assertThat(handledRows()).isZero();
        } finally {
            runner.close();
        }
    }

    @Test
    void theCheckpointIsSavedAgainAtTheHeadAsAHeartbeat() throws Exception {
        append(1, 3);
        PostgresProjectionRunner runner = PostgresProjectionRunner.create(store, ID, recording(""), options(25)).start();
        try {
            assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            PostgresCheckpointStore checkpoints = PostgresCheckpointStore.of(store);
            dev.estoria.projection.Checkpoint first = checkpoints.load(ID).orElseThrow();
            // No new events: only the heartbeat at the head can save the checkpoint again.
            dev.estoria.projection.Checkpoint later = first;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (!later.updatedAt().isAfter(first.updatedAt()) && System.nanoTime() < deadline) {
                Thread.sleep(25);
                later = checkpoints.load(ID).orElseThrow();
            }
            assertThat(later.position()).isEqualTo(first.position()).isEqualTo(runner.position());
            assertThat(later.updatedAt()).as("the heartbeat").isAfter(first.updatedAt());
        } finally {
            runner.close();
        }
    }

    @Test
    void aCheckpointMovedBackUnderTheRunnerFailsItRatherThanApplyEventsTwice() throws Exception {
        append(1, 3);
        PostgresProjectionRunner runner = PostgresProjectionRunner.create(store, ID, recording(null), options(10)).start();
        try {
            assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            // A rebuild or an operator rewinds the checkpoint while the runner is at the head; the
            // read model's primary key would refuse a replay, but a read model without one would not.
            PostgresCheckpointStore.of(store).save(ID, 0);
            append(1, 1); // wakes the runner
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (runner.state() != State.FAILED) {
                assertThat(System.nanoTime()).as("the runner goes on after its checkpoint moved back").isLessThan(deadline);
                TimeUnit.MILLISECONDS.sleep(10);
            }
            assertThat(runner.failure()).get().isInstanceOf(IllegalStateException.class)
                    .extracting(Throwable::getMessage).asString().contains("moved back").contains("nothing was written");
            assertThat(handledRows()).isEqualTo(3);
        } finally {
            runner.close();
        }
    }

    @Test
    void aCheckpointMovedBackWhileTheRunnerRetriesFailsItToo() throws Exception {
        append(1, 3);
        AtomicBoolean failed = new AtomicBoolean();
        java.util.concurrent.atomic.AtomicReference<Thread> rewinder = new java.util.concurrent.atomic.AtomicReference<>();
        PostgresProjectionRunner runner = PostgresProjectionRunner.create(store, ID, (tx, event) -> {
            recording(null).handle(tx, event);
            if (event.type().equals("late") && failed.compareAndSet(false, true)) {
                // A rebuild rewinds the checkpoint; it waits for this batch's lock on the row and
                // lands once the batch, failed as a serialization failure would, has rolled back.
                rewinder.set(Thread.ofPlatform().start(() -> PostgresCheckpointStore.of(store).save(ID, 0)));
                // Not before it waits: otherwise the retry may commit first and the rewind land after it.
                db.awaitBlockedBy(tx);
                throw new java.sql.SQLException("could not serialize access (simulated)", "40001");
            }
        }, options(10)).start();
        try {
            assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
            store.appendStream(TypeId.newV4("ticks"), List.of(WritableEvent.of("late", new byte[0])));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (runner.state() != State.FAILED) {
                assertThat(System.nanoTime()).as("the runner goes on after its checkpoint moved back").isLessThan(deadline);
                TimeUnit.MILLISECONDS.sleep(10);
            }
            assertThat(runner.failure()).get().isInstanceOf(IllegalStateException.class)
                    .extracting(Throwable::getMessage).asString().contains("moved back");
            assertThat(handledRows()).isEqualTo(3);
        } finally {
            runner.close();
            Thread t = rewinder.get();
            if (t != null) {
                t.join();
            }
        }
    }

    @Test
    void aHandlerWhoseStatementAlwaysTimesOutFailsTheRunnerAfterItsTries() throws Exception {
        PostgresEventStore slow = db.newStore(PostgresOptions.defaults().withStatementTimeout(Duration.ofMillis(500)));
        try {
            slow.appendStream(TypeId.newV4("ticks"), List.of(WritableEvent.of("ticked", new byte[0])));
            AtomicInteger tries = new AtomicInteger();
            PostgresProjectionRunner runner = PostgresProjectionRunner.create(slow, ID, (tx, event) -> {
                tries.incrementAndGet();
                try (Statement s = tx.createStatement()) {
                    s.execute("SELECT pg_sleep(5)"); // cancelled by the statement timeout, every time
                }
            }, options(10)).start();
            try {
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
                while (runner.state() != State.FAILED) {
                    assertThat(System.nanoTime()).as("the runner failed: the server answered each time").isLessThan(deadline);
                    TimeUnit.MILLISECONDS.sleep(20); // polling an outcome, not ordering threads
                }
                assertThat(tries.get()).as("tries of the batch").isEqualTo(5);
                assertThat(runner.failure()).get().asString().contains("statement timeout");
            } finally {
                runner.close();
            }
        } finally {
            db.discard(slow);
        }
    }

    @Test
    void anUnboundedBatchSizeLeavesBatchesToTheByteLimit() throws Exception {
        append(3, 2);
        // No count limit: a batch ends with the events available, or at Subscription.BATCH_BYTES.
        PostgresProjectionRunner runner = PostgresProjectionRunner.create(store, ID, recording(""),
                options(Integer.MAX_VALUE)).start();
        try {
            assertThat(runner.awaitCaughtUp(Duration.ofSeconds(30))).as("caught up").isTrue();
            assertThat(runner.failure()).isEmpty();
            assertThat(handledRows()).isEqualTo(6);
        } finally {
            runner.close();
        }
    }

    @Test
    void aStandbyRunnerOutwaitsABatchLongerThanTheLockTimeout() throws Exception {
        // A short statement timeout makes the lock timeout (half of it) one second; the standby's
        // wait for the checkpoint row outlasts it while the other runner's batch is still running.
        PostgresOptions shortTimeouts = PostgresOptions.defaults().withStatementTimeout(Duration.ofSeconds(2));
        PostgresEventStore mine = db.newStore(shortTimeouts);
        String schema = '"' + mine.options().schema() + "\".";
        CountDownLatch inSlowBatch = new CountDownLatch(1);
        CountDownLatch finishSlowBatch = new CountDownLatch(1);
        AtomicBoolean slowTaken = new AtomicBoolean();
        PostgresProjectionRunner.TransactionalHandler handler = (tx, event) -> {
            try (PreparedStatement s = tx.prepareStatement("INSERT INTO " + schema + "rm_handled VALUES (?, ?)")) {
                s.setObject(1, event.id().uuid());
                s.setLong(2, event.globalPosition().orElseThrow());
                s.executeUpdate();
            }
            if (event.type().equals("slow") && slowTaken.compareAndSet(false, true)) {
                inSlowBatch.countDown();
                assertThat(finishSlowBatch.await(60, TimeUnit.SECONDS)).isTrue();
            }
        };
        try (PostgresEventStore other = PostgresEventStore.open(db.dataSource(), mine.options())) {
            try (Connection c = db.connect(); Statement s = c.createStatement()) {
                s.execute("CREATE TABLE " + schema + "rm_handled (event_uuid uuid PRIMARY KEY, position bigint NOT NULL)");
            }
            mine.appendStream(TypeId.newV4("ticks"), List.of(WritableEvent.of("ticked", new byte[0])));
            PostgresProjectionRunner a = PostgresProjectionRunner.create(mine, ID, handler, options(10)).start();
            PostgresProjectionRunner b = PostgresProjectionRunner.create(other, ID, handler, options(10)).start();
            try {
                assertThat(a.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                assertThat(b.awaitCaughtUp(Duration.ofSeconds(30))).isTrue();
                mine.appendStream(TypeId.newV4("ticks"), List.of(WritableEvent.of("slow", new byte[0])));
                assertThat(inSlowBatch.await(30, TimeUnit.SECONDS)).as("a runner took the slow batch").isTrue();
                // The other runner's heartbeat now waits for the checkpoint row the slow batch holds.
                awaitCheckpointLockWaiter(mine.options().schema());
                long until = System.nanoTime() + shortTimeouts.lockTimeout().multipliedBy(4).toNanos();
                while (System.nanoTime() < until) {
                    assertThat(a.failure()).as("runner a while the batch runs").isEmpty();
                    assertThat(b.failure()).as("runner b while the batch runs").isEmpty();
                    TimeUnit.MILLISECONDS.sleep(20);
                }
                finishSlowBatch.countDown();
                mine.appendStream(TypeId.newV4("ticks"), List.of(WritableEvent.of("ticked", new byte[0])));
                long head = mine.readAll().toList().getLast().globalPosition().orElseThrow();
                long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
                while (Math.max(a.position(), b.position()) < head) {
                    assertThat(System.nanoTime()).as("the runners reach the head").isLessThan(deadline);
                    assertThat(a.failure()).isEmpty();
                    assertThat(b.failure()).isEmpty();
                    TimeUnit.MILLISECONDS.sleep(10);
                }
            } finally {
                finishSlowBatch.countDown();
                a.close();
                b.close();
            }
            assertThat(a.failure()).isEmpty();
            assertThat(b.failure()).isEmpty();
            try (Connection c = db.connect(); Statement s = c.createStatement();
                    ResultSet rs = s.executeQuery("SELECT count(*) FROM " + schema + "rm_handled")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(3);
            }
        } finally {
            db.discard(mine);
        }
    }

    /** Waits until a backend waits for a lock in a statement on {@code schema}'s checkpoints. */
    private void awaitCheckpointLockWaiter(String schema) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT count(*) FROM pg_stat_activity"
                + " WHERE wait_event_type = 'Lock' AND position(? in query) > 0")) {
            s.setString(1, '"' + schema + "\".checkpoints");
            while (true) {
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                assertThat(System.nanoTime()).as("a runner waits for the checkpoint row").isLessThan(deadline);
                TimeUnit.MILLISECONDS.sleep(10);
            }
        }
    }
}
