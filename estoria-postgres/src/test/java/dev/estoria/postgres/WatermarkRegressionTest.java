package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The stable prefix, deterministically: transaction A holds an event uncommitted while B, started
 * later, commits; a global read must not yield B (a reader checkpointing B would lose A for good).
 */
@Timeout(60)
class WatermarkRegressionTest {

    private final TestDatabase db = TestDatabase.get();
    private String schema;
    private PostgresEventStore storeA;
    private PostgresEventStore storeB;
    private PostgresEventStore reader;
    /** Released after each test, so a failed assertion never leaves a writer parked in its hook. */
    private final List<CountDownLatch> latches = new java.util.ArrayList<>();

    @BeforeEach
    void open() {
        schema = TestDatabase.randomSchema();
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO)
                .withReadSettleTimeout(Duration.ZERO);
        storeA = PostgresEventStore.open(db.dataSource(), options);
        storeB = PostgresEventStore.open(db.dataSource(), options);
        reader = PostgresEventStore.open(db.dataSource(), options);
    }

    @AfterEach
    void close() {
        latches.forEach(CountDownLatch::countDown);
        storeA.close();
        storeB.close();
        reader.close();
        db.dropSchema(schema);
    }

    private static List<WritableEvent> one(String text) {
        return List.of(WritableEvent.of("noted", text.getBytes(StandardCharsets.UTF_8)));
    }

    @Test
    void laterCommitIsHiddenWhileEarlierTransactionIsOpenThenBothInPositionOrder() throws Exception {
        Held held = holdStoreAsNextAppend();
        CountDownLatch inserted = held.inserted();
        CountDownLatch release = held.release();
        TypeId streamA = TypeId.newV4("account");
        TypeId streamB = TypeId.newV4("account");
        CompletableFuture<List<Event>> a = CompletableFuture.supplyAsync(() -> storeA.appendStream(streamA, one("A")));
        assertThat(inserted.await(30, TimeUnit.SECONDS)).isTrue();

        List<Event> b = storeB.appendStream(streamB, one("B"));
        long positionB = b.get(0).globalPosition().orElseThrow();

        // B is committed: a reader ordering by position alone would yield it now, and skip A later.
        assertThat(committedRows()).isEqualTo(1);
        assertThat(reader.readAll(ReadAllOptions.defaults()).toList()).isEmpty();
        assertThat(reader.readAll(ReadAllOptions.after(0).count(10)).toList()).isEmpty();
        // Nor does the head: a follower starting "from now" after B's position would skip A.
        long head = reader.headPosition();
        assertThat(head).isLessThan(positionB);
        assertThat(a).isNotDone();

        release.countDown();
        List<Event> written = a.get(30, TimeUnit.SECONDS);
        long positionA = written.get(0).globalPosition().orElseThrow();
        assertThat(positionA).as("A started first, so it is ordered first").isLessThan(positionB);

        List<Event> all = reader.readAll(ReadAllOptions.defaults()).toList();
        assertThat(all).containsExactly(written.get(0), b.get(0));
        assertThat(reader.readAll(ReadAllOptions.after(head)).toList()).containsExactly(written.get(0), b.get(0));
        assertThat(reader.headPosition()).isEqualTo(positionB);
        assertThat(reader.readAll(ReadAllOptions.after(positionB)).toList()).isEmpty();
    }

    @Test
    void storeOpenedWhileEarlierTransactionIsOpenKeepsTheLaterCommitHidden() throws Exception {
        Held held = holdStoreAsNextAppend();
        CountDownLatch inserted = held.inserted();
        CountDownLatch release = held.release();
        CompletableFuture<List<Event>> a = CompletableFuture.supplyAsync(
                () -> storeA.appendStream(TypeId.newV4("account"), one("A")));
        assertThat(inserted.await(30, TimeUnit.SECONDS)).isTrue();
        List<Event> b = storeB.appendStream(TypeId.newV4("account"), one("B"));
        long baseBefore = positionBase();

        // Another process opens the store now (a rolling deploy, say). B's position is above what
        // A's older, open transaction ID gives; that is the ordinary out-of-order commit, not a
        // restore from another cluster, and must not move the positions readers compare against.
        try (PostgresEventStore late = PostgresEventStore.open(db.dataSource(), reader.options())) {
            assertThat(late.readAll(ReadAllOptions.defaults()).toList()).as("B stays hidden while A is open").isEmpty();

            release.countDown();
            List<Event> written = a.get(30, TimeUnit.SECONDS);
            assertThat(late.readAll(ReadAllOptions.defaults()).toList()).containsExactly(written.get(0), b.get(0));
        }
        assertThat(positionBase()).isEqualTo(baseBefore);
    }

    @Test
    void rolledBackEarlierTransactionLeavesOnlyTheLaterEvent() throws Exception {
        CountDownLatch inserted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        latches.add(release);
        storeA.setAppendHook((stream, written) -> {
            inserted.countDown();
            await(release);
            throw new IllegalStateException("abort requested by the test");
        });
        TypeId streamA = TypeId.newV4("account");
        CompletableFuture<List<Event>> a = CompletableFuture.supplyAsync(() -> storeA.appendStream(streamA, one("A")));
        assertThat(inserted.await(30, TimeUnit.SECONDS)).isTrue();
        List<Event> b = storeB.appendStream(TypeId.newV4("account"), one("B"));
        assertThat(reader.readAll(ReadAllOptions.defaults()).toList()).isEmpty();

        release.countDown();
        assertThatThrownBy(() -> a.get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(IllegalStateException.class);
        assertThat(reader.readAll(ReadAllOptions.defaults()).toList()).containsExactly(b.get(0));
        assertThatThrownBy(() -> reader.readStream(streamA, dev.estoria.eventstore.ReadStreamOptions.defaults()))
                .isInstanceOf(dev.estoria.eventstore.StreamNotFoundException.class);
    }

    @Test
    void readerWaitsBoundedlyForItsOwnWritesThenReturnsTheSettledPrefix() throws Exception {
        PostgresOptions settling = storeB.options().withReadSettleTimeout(Duration.ofMillis(300));
        try (PostgresEventStore own = PostgresEventStore.open(db.dataSource(), settling);
                Connection idle = db.rawConnection()) {
            // An older transaction that holds an ID and stays open.
            idle.setAutoCommit(false);
            try (Statement s = idle.createStatement()) {
                s.executeQuery("SELECT pg_current_xact_id()").close();
            }
            List<Event> mine = own.appendStream(TypeId.newV4("account"), one("mine"));
            long start = System.nanoTime();
            assertThat(own.readAll(ReadAllOptions.defaults()).toList()).as("held back, never skipped").isEmpty();
            assertThat(Duration.ofNanos(System.nanoTime() - start)).as("waited for its own write to settle")
                    .isGreaterThanOrEqualTo(Duration.ofMillis(250));
            idle.commit();
            assertThat(own.readAll(ReadAllOptions.defaults()).toList()).containsExactlyElementsOf(mine);
        }
    }

    /** Latches of an append held inside its transaction: counted down once inserted; releases it. */
    private record Held(CountDownLatch inserted, CountDownLatch release) {
    }

    /** Makes store A's appends wait, after their insert and before their commit, for the release. */
    private Held holdStoreAsNextAppend() {
        Held held = new Held(new CountDownLatch(1), new CountDownLatch(1));
        latches.add(held.release());
        storeA.setAppendHook((stream, written) -> {
            held.inserted().countDown();
            await(held.release());
        });
        return held;
    }

    private long positionBase() throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT position_base FROM \"" + schema + "\".meta")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private long committedRows() throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT count(*) FROM \"" + schema + "\".events")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    static void await(CountDownLatch latch) {
        try {
            if (!latch.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test latch not released");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }
}
