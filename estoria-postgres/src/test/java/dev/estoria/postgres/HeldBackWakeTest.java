package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.AppendNotifier;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.subscription.Subscription;
import dev.estoria.subscription.SubscriptionOptions;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A wake-up held back by an older transaction must be repeated once its events are
 * visible, also when a second, younger transaction still holds back a later wake-up.
 */
@Timeout(90)
class HeldBackWakeTest {

    private static final Duration WAIT = Duration.ofSeconds(20);

    private final TestDatabase db = TestDatabase.get();
    private String schema;
    private PostgresEventStore subscriberSide;
    private PostgresEventStore writerSide;
    private final ExecutorService waiter = Executors.newSingleThreadExecutor();

    @BeforeEach
    void open() {
        schema = TestDatabase.randomSchema();
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withPoolSize(3)
                .withFeedCheckInterval(Duration.ZERO);
        subscriberSide = PostgresEventStore.open(db.jdbcUrl, options);
        writerSide = PostgresEventStore.open(db.jdbcUrl, options);
    }

    @AfterEach
    void close() {
        waiter.shutdownNow();
        subscriberSide.close();
        writerSide.close();
        db.dropSchema(schema);
    }

    private static final class ObservedReader implements GlobalReader, AppendNotifier {
        final PostgresEventStore delegate;
        final Semaphore reads = new Semaphore(0);

        ObservedReader(PostgresEventStore delegate) {
            this.delegate = delegate;
        }

        @Override
        public StreamIterator readAll(ReadAllOptions options) {
            StreamIterator events = delegate.readAll(options);
            reads.release();
            return events;
        }

        @Override
        public AutoCloseable onAppend(Runnable listener) {
            return delegate.onAppend(listener);
        }
    }

    private static void takeXid(Connection c) throws Exception {
        c.setAutoCommit(false);
        try (var s = c.createStatement()) {
            s.execute("SELECT pg_current_xact_id()");
        }
    }

    @Test
    void anEarlierHeldBackWakeUpIsRepeatedWhenItsEventsBecomeVisible() throws Exception {
        ObservedReader reader = new ObservedReader(subscriberSide);
        try (Subscription subscription = Subscription.to(reader,
                SubscriptionOptions.defaults().pollInterval(Duration.ofHours(1)));
                Connection older = db.rawConnection(); Connection younger = db.rawConnection()) {
            assertThat(subscription.next(Duration.ZERO)).isEmpty();
            takeXid(older);
            reader.reads.drainPermits();
            Future<Optional<Event>> received = waiter.submit(() -> subscription.next(WAIT));
            assertThat(reader.reads.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).as("first read").isTrue();
            Event first = writerSide.appendStream(TypeId.newV4("remote"),
                    List.of(WritableEvent.of("first", new byte[] {1}))).get(0);
            // Woken by the notification; the read gives up waiting (older is open) and the store watches.
            assertThat(reader.reads.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).as("read woken by first").isTrue();
            takeXid(younger);
            writerSide.appendStream(TypeId.newV4("remote"), List.of(WritableEvent.of("second", new byte[] {2})));
            assertThat(reader.reads.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).as("read woken by second").isTrue();
            assertThat(received.isDone()).isFalse();
            // The first event is now below the watermark; the second stays held back by 'younger'.
            older.rollback();
            long visibleSince = System.nanoTime();
            try {
                assertThat(received.get(WAIT.toSeconds() + 10, TimeUnit.SECONDS))
                        .as("the first event, visible since 'older' ended").contains(first);
                // The subscription reads once more when its 20 s wait ends; only a wake-up delivers it well before.
                assertThat(Duration.ofNanos(System.nanoTime() - visibleSince))
                        .as("delay between the event becoming visible and its delivery").isLessThan(Duration.ofSeconds(5));
            } finally {
                younger.rollback();
            }
        }
    }
}
