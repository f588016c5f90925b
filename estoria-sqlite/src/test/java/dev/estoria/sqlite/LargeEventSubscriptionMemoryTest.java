package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.ProjectionId;
import dev.estoria.subscription.Subscription;
import dev.estoria.subscription.SubscriptionOptions;
import dev.estoria.typeid.TypeId;
import java.io.BufferedReader;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A subscription and a projection runner with the default batch size (500 events) follow a log of
 * 1 MiB events far larger than a 64 MB heap: a batch ends once its payloads reach {@link
 * Subscription#BATCH_BYTES}, not only at the batch size.
 */
class LargeEventSubscriptionMemoryTest {

    static final int EVENTS = 160;
    static final int SIZE = 1 << 20;

    @TempDir
    Path directory;

    @Test
    void subscriptionAndRunnerFollowLargeEventsInASmallHeap() throws Exception {
        Path file = directory.resolve("large.db");
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            TypeId stream = TypeId.newV4("big");
            byte[] payload = new byte[SIZE];
            for (int a = 0; a < EVENTS / 8; a++) {
                List<WritableEvent> batch = new ArrayList<>();
                for (int i = 0; i < 8; i++) {
                    batch.add(WritableEvent.of("filled", payload));
                }
                store.appendStream(stream, batch);
            }
        }
        Path stderr = directory.resolve("follower.err");
        Process child = ChildJvm.start(Follower.class, List.of("-Xmx64m", "-XX:+UseSerialGC"),
                List.of(file.toString()), stderr);
        String result;
        try (BufferedReader out = ChildJvm.stdout(child)) {
            result = out.readLine();
        }
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("follower exit; stderr:%n%s", ChildJvm.errors(stderr)).isZero();
        long bytes = (long) EVENTS * SIZE;
        assertThat(result).isEqualTo("OK " + EVENTS + " " + bytes + " " + EVENTS + " " + bytes);
    }

    /** Drains a subscription with default options, then runs a projection over the same log. */
    public static final class Follower {
        public static void main(String[] args) throws Exception {
            try (SqliteEventStore store = SqliteEventStore.open(Path.of(args[0]))) {
                long count = 0;
                long bytes = 0;
                try (Subscription sub = Subscription.to(store, SubscriptionOptions.defaults())) {
                    Optional<Event> next;
                    while ((next = sub.next(Duration.ZERO)).isPresent()) {
                        count++;
                        bytes += next.get().dataLength();
                    }
                }
                AtomicLong handled = new AtomicLong();
                AtomicLong handledBytes = new AtomicLong();
                try (SqliteProjectionRunner runner = SqliteProjectionRunner.create(store, ProjectionId.of("large", 1),
                        (tx, event) -> {
                            handled.incrementAndGet();
                            handledBytes.addAndGet(event.dataLength());
                        }).start()) {
                    if (!runner.awaitCaughtUp(Duration.ofSeconds(60))) {
                        throw new AssertionError("runner did not catch up: " + runner.status());
                    }
                }
                System.out.println("OK " + count + " " + bytes + " " + handled + " " + handledBytes);
            }
        }
    }
}
