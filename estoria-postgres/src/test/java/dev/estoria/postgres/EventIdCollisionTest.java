package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DuplicateEventIdException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two processes append one event ID to two streams at once. The second insert waits on the unique
 * index for the first transaction and fails when it commits; that append is made again in a later
 * transaction, which finds the ID stored in the other stream and refuses it, writing nothing.
 */
@Timeout(60)
class EventIdCollisionTest {

    private final TestDatabase db = TestDatabase.get();

    @Test
    void collidingAppendIsRetriedAndRefusedAsADuplicate() throws Exception {
        String schema = TestDatabase.randomSchema();
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO);
        UUID id = UUID.randomUUID();
        TypeId first = TypeId.newV4("first");
        TypeId second = TypeId.newV4("second");
        CountDownLatch inserted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        // A thread each: the common pool may have one worker, which the first append keeps busy.
        ExecutorService callers = Executors.newFixedThreadPool(2);
        // Opened from the URL, as applications do: a lone append then starts on its caller's thread.
        try (PostgresEventStore p1 = PostgresEventStore.open(db.jdbcUrl, options);
                PostgresEventStore p2 = PostgresEventStore.open(db.jdbcUrl, options)) {
            p1.setAppendHook((stream, written) -> {
                inserted.countDown();
                WatermarkRegressionTest.await(release);
            });
            try {
                CompletableFuture<List<Event>> a = CompletableFuture.supplyAsync(() -> p1.appendStream(first, one(id)), callers);
                assertThat(inserted.await(30, TimeUnit.SECONDS)).isTrue();
                CompletableFuture<List<Event>> b = CompletableFuture.supplyAsync(() -> p2.appendStream(second, one(id)), callers);
                db.awaitLockWaiter("estoria:" + schema, "the second insert, on the first transaction");
                release.countDown();
                assertThat(a.get(30, TimeUnit.SECONDS)).hasSize(1);
                assertThatThrownBy(() -> b.get(30, TimeUnit.SECONDS)).cause()
                        .isInstanceOf(DuplicateEventIdException.class).hasMessageContaining(first.toString());
            } finally {
                release.countDown();
            }
            assertThat(p2.retriedAppends()).as("the colliding append was made again").isEqualTo(1);
            assertThatThrownBy(() -> p2.readStream(second, ReadStreamOptions.defaults()))
                    .isInstanceOf(StreamNotFoundException.class);
            try (StreamIterator it = p2.readStream(first, ReadStreamOptions.defaults())) {
                assertThat(it.toList()).extracting(e -> e.id().uuid()).containsExactly(id);
            }
        } finally {
            callers.shutdownNow();
            db.dropSchema(schema);
        }
    }

    private static List<WritableEvent> one(UUID id) {
        return List.of(WritableEvent.of("e", new byte[] {1}).withEventId(id));
    }

    /**
     * A retry racing the first attempt of the same append (a client that timed out and tried again)
     * waits on the stream's row; once the first commits, the retry must find its events and return
     * them, although the stream no longer matches the expectation both were made with.
     */
    @Test
    void aRetryWaitingOnTheFirstAttemptReturnsItsEvents() throws Exception {
        String schema = TestDatabase.randomSchema();
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO);
        UUID id = UUID.randomUUID();
        TypeId stream = TypeId.newV4("retried");
        CountDownLatch inserted = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService callers = Executors.newFixedThreadPool(2);
        try (PostgresEventStore p1 = PostgresEventStore.open(db.jdbcUrl, options);
                PostgresEventStore p2 = PostgresEventStore.open(db.jdbcUrl, options)) {
            p1.setAppendHook((s, written) -> {
                inserted.countDown();
                WatermarkRegressionTest.await(release);
            });
            try {
                CompletableFuture<List<Event>> a = CompletableFuture.supplyAsync(() -> p1.appendStream(stream, one(id),
                        AppendStreamOptions.expectingNoStream()), callers);
                assertThat(inserted.await(30, TimeUnit.SECONDS)).isTrue();
                CompletableFuture<List<Event>> b = CompletableFuture.supplyAsync(() -> p2.appendStream(stream, one(id),
                        AppendStreamOptions.expectingNoStream()), callers);
                db.awaitLockWaiter("estoria:" + schema, "the retry, on the first attempt's stream row");
                release.countDown();
                List<Event> written = a.get(30, TimeUnit.SECONDS);
                assertThat(b.get(30, TimeUnit.SECONDS)).as("the retry's answer").isEqualTo(written);
            } finally {
                release.countDown();
            }
        } finally {
            callers.shutdownNow();
            db.dropSchema(schema);
        }
    }
}
