package dev.estoria.subscription;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(60)
class SubscriptionTest {

    private final InMemoryEventStore store = InMemoryEventStore.create();

    private Event append(String type) {
        return store.appendStream(TypeId.newV4(type), List.of(WritableEvent.of("happened", new byte[0]))).get(0);
    }

    @Test
    void deliversTheBacklogThenNewAppendsWokenByTheStore() throws Exception {
        Event first = append("a");
        // A poll this slow means the live event can only arrive in time through the notification.
        try (Subscription sub = Subscription.to(store, SubscriptionOptions.defaults().pollInterval(Duration.ofHours(1)))) {
            assertThat(sub.next(Duration.ZERO)).contains(first);
            assertThat(sub.next(Duration.ZERO)).isEmpty();
            assertThat(sub.hasCaughtUp()).isTrue();
            CompletableFuture<Optional<Event>> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return sub.next(Duration.ofSeconds(30));
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Event live = append("a");
            assertThat(waiting.get(30, TimeUnit.SECONDS)).contains(live);
            assertThat(sub.position()).isEqualTo(live.globalPosition().orElseThrow());
        }
    }

    @Test
    void startsAfterAPositionAndFilters() throws Exception {
        Event a1 = append("a");
        append("b");
        Event a2 = append("a");
        try (Subscription sub = Subscription.to(store, SubscriptionOptions.defaults()
                .afterPosition(a1.globalPosition().orElseThrow()).filter(EventFilter.streamTypes("a")).batchSize(1))) {
            assertThat(sub.next(Duration.ZERO)).contains(a2);
            assertThat(sub.next(Duration.ZERO)).isEmpty();
        }
    }

    @Test
    void closeWakesAWaitingReader() throws Exception {
        Subscription sub = Subscription.to(store, SubscriptionOptions.defaults().pollInterval(Duration.ofHours(1)));
        CompletableFuture<Optional<Event>> waiting = CompletableFuture.supplyAsync(() -> {
            try {
                return sub.next();
            } catch (InterruptedException e) {
                throw new IllegalStateException(e);
            }
        });
        sub.close();
        sub.close();
        assertThat(waiting.get(30, TimeUnit.SECONDS)).isEmpty();
    }

    @Test
    void fillBatchStopsAtItsCountAtItsBytesAndAtTheHead() throws Exception {
        int large = (int) (Subscription.BATCH_BYTES / 3) + 1;
        for (int i = 0; i < 5; i++) {
            append("small");
        }
        for (int i = 0; i < 5; i++) {
            store.appendStream(TypeId.newV4("large"), List.of(WritableEvent.of("happened", new byte[large])));
        }
        try (Subscription sub = Subscription.to(store, SubscriptionOptions.defaults())) {
            List<Event> batch = new java.util.ArrayList<>(List.of(sub.next(Duration.ZERO).orElseThrow()));
            assertThat(sub.fillBatch(batch, 3)).as("full by count").isFalse();
            assertThat(batch).hasSize(3);

            batch.clear();
            assertThat(sub.fillBatch(batch, 100)).as("full by bytes").isFalse();
            // Two small, then large ones until their payloads reach BATCH_BYTES: three of just over a third.
            assertThat(batch).hasSize(5);
            assertThat(batch.get(4).dataLength()).isEqualTo(large);

            batch.clear();
            assertThat(sub.fillBatch(batch, 100)).as("at the head").isTrue();
            assertThat(batch).hasSize(2);
        }
    }

    @Test
    void aTimeoutOrPollIntervalTooLongForNanosecondsWaitsForGood() throws Exception {
        Duration forever = ChronoUnit.FOREVER.getDuration();
        Event first = append("a");
        try (Subscription sub = Subscription.to(store, SubscriptionOptions.defaults().pollInterval(forever))) {
            assertThat(sub.next(forever)).contains(first);
            CompletableFuture<Optional<Event>> waiting = CompletableFuture.supplyAsync(() -> {
                try {
                    return sub.next(forever);
                } catch (InterruptedException e) {
                    throw new IllegalStateException(e);
                }
            });
            Event live = append("a");
            assertThat(waiting.get(30, TimeUnit.SECONDS)).contains(live);
            assertThat(sub.next(Duration.ofSeconds(Long.MIN_VALUE))).as("a negative timeout waits not at all").isEmpty();
        }
    }
}
