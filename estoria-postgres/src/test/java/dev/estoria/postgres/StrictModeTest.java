package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Strict mode: one allocator row, locked from reservation to commit, gives dense positions in
 * commit order; the price is that a second writer waits for the first.
 */
@Timeout(60)
class StrictModeTest {

    private final TestDatabase db = TestDatabase.get();
    private final List<CountDownLatch> latches = new ArrayList<>();
    private String schema;
    private PostgresEventStore storeA;
    private PostgresEventStore storeB;

    @BeforeEach
    void open() {
        schema = TestDatabase.randomSchema();
        PostgresOptions options = PostgresOptions.strict().withSchema(schema).withFeedCheckInterval(Duration.ZERO);
        storeA = PostgresEventStore.open(db.dataSource(), options);
        storeB = PostgresEventStore.open(db.dataSource(), options.withStatementTimeout(Duration.ofSeconds(20)));
    }

    @AfterEach
    void close() {
        latches.forEach(CountDownLatch::countDown);
        storeA.close();
        storeB.close();
        db.dropSchema(schema);
    }

    private static List<WritableEvent> events(int n) {
        List<WritableEvent> list = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            list.add(WritableEvent.of("e", new byte[] {(byte) i}));
        }
        return list;
    }

    @Test
    void secondWriterWaitsOnTheAllocatorAndPositionsAreDenseInCommitOrder() throws Exception {
        CountDownLatch inserted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        latches.add(release);
        storeA.setAppendHook((stream, written) -> {
            inserted.countDown();
            WatermarkRegressionTest.await(release);
        });
        CompletableFuture<List<Event>> a = CompletableFuture.supplyAsync(() -> storeA.appendStream(TypeId.newV4("s"), events(2)));
        assertThat(inserted.await(30, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<List<Event>> b = CompletableFuture.supplyAsync(() -> storeB.appendStream(TypeId.newV4("s"), events(1)));
        awaitLockWaiter();
        assertThat(b).as("serialised behind A").isNotDone();
        assertThat(storeB.readAll(ReadAllOptions.defaults()).toList()).isEmpty();

        release.countDown();
        List<Event> writtenA = a.get(30, TimeUnit.SECONDS);
        List<Event> writtenB = b.get(30, TimeUnit.SECONDS);
        List<Long> positions = new ArrayList<>();
        for (Event e : storeB.readAll(ReadAllOptions.defaults()).toList()) {
            positions.add(e.globalPosition().orElseThrow());
        }
        assertThat(positions).containsExactly(1L, 2L, 3L);
        assertThat(writtenA.get(1).globalPosition().orElseThrow()).isEqualTo(2);
        assertThat(writtenB.get(0).globalPosition().orElseThrow()).isEqualTo(3);
    }

    @Test
    void rolledBackReservationIsHandedOutAgain() throws Exception {
        storeA.setAppendHook((stream, written) -> {
            throw new IllegalStateException("abort requested by the test");
        });
        assertThatThrownBy(() -> storeA.appendStream(TypeId.newV4("s"), events(3))).isInstanceOf(IllegalStateException.class);
        List<Event> b = storeB.appendStream(TypeId.newV4("s"), events(1));
        assertThat(b.get(0).globalPosition().orElseThrow()).isEqualTo(1);
    }

    /** Waits until some backend of this test is blocked on a lock (B on the allocator row). */
    private void awaitLockWaiter() throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND query LIKE ?")) {
            s.setString(1, "%\"" + schema + "\".allocator%");
            while (true) {
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) > 0) {
                        return;
                    }
                }
                assertThat(System.nanoTime()).as("B waits on the allocator").isLessThan(deadline);
                Thread.onSpinWait();
            }
        }
    }
}
