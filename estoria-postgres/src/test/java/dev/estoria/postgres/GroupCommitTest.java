package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DuplicateEventIdException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamVersionMismatchException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Appends queued while a lane is busy share one transaction, each under its own savepoint. */
@Timeout(60)
class GroupCommitTest {

    private final TestDatabase db = TestDatabase.get();
    private PostgresEventStore store;

    @AfterEach
    void drop() {
        db.discard(store);
    }

    private static List<WritableEvent> one(String text) {
        return List.of(WritableEvent.of("noted", text.getBytes(StandardCharsets.UTF_8)));
    }

    private CompletableFuture<List<Event>> async(TypeId stream, List<WritableEvent> events, AppendStreamOptions options) {
        return CompletableFuture.supplyAsync(() -> store.appendStream(stream, events, options));
    }

    @Test
    void oneAppendsFailureFailsOnlyThatAppendAndNoneIsAcknowledgedBeforeTheSharedCommit() throws Exception {
        store = db.newStore(PostgresOptions.defaults().withWriterLanes(1));
        TypeId blocker = TypeId.newV4("group");
        TypeId ok1 = TypeId.newV4("group");
        TypeId conflict = TypeId.newV4("group");
        TypeId dup = TypeId.newV4("group");
        TypeId aborted = TypeId.newV4("group");
        TypeId ok2 = TypeId.newV4("group");
        UUID taken = UUID.randomUUID();
        store.appendStream(TypeId.newV4("group"), List.of(WritableEvent.of("noted", new byte[0]).withEventId(taken)));
        store.appendStream(conflict, one("first"));

        CountDownLatch blockerIn = new CountDownLatch(1);
        CountDownLatch releaseBlocker = new CountDownLatch(1);
        CountDownLatch lastIn = new CountDownLatch(1);
        CountDownLatch releaseLast = new CountDownLatch(1);
        store.setAppendHook((stream, written) -> {
            if (stream.equals(blocker)) {
                blockerIn.countDown();
                WatermarkRegressionTest.await(releaseBlocker);
            } else if (stream.equals(aborted)) {
                throw new IllegalStateException("abort requested by the test");
            } else if (stream.equals(ok2)) {
                lastIn.countDown();
                WatermarkRegressionTest.await(releaseLast);
            }
        });
        CompletableFuture<List<Event>> b = async(blocker, one("blocker"), AppendStreamOptions.defaults());
        assertThat(blockerIn.await(30, TimeUnit.SECONDS)).isTrue();
        // Queued behind the blocker, in this order, so they form the next group.
        CompletableFuture<List<Event>> f1 = async(ok1, one("ok1"), AppendStreamOptions.defaults());
        waitQueued(1);
        CompletableFuture<List<Event>> f2 = async(conflict, one("stale"), AppendStreamOptions.expectingVersion(0));
        waitQueued(2);
        CompletableFuture<List<Event>> f3 = async(dup, List.of(WritableEvent.of("noted", new byte[0]).withEventId(taken)),
                AppendStreamOptions.defaults());
        waitQueued(3);
        CompletableFuture<List<Event>> f4 = async(aborted, one("aborted"), AppendStreamOptions.defaults());
        waitQueued(4);
        CompletableFuture<List<Event>> f5 = async(ok2, one("ok2"), AppendStreamOptions.defaults());
        waitQueued(5);
        releaseBlocker.countDown();
        assertThat(b.get(30, TimeUnit.SECONDS)).hasSize(1);

        assertThat(lastIn.await(30, TimeUnit.SECONDS)).isTrue();
        // ok1's rows are inserted, but the shared transaction has not committed: no acknowledgement.
        assertThat(f1).isNotDone();
        releaseLast.countDown();

        List<Event> e1 = f1.get(30, TimeUnit.SECONDS);
        List<Event> e5 = f5.get(30, TimeUnit.SECONDS);
        assertThatThrownBy(() -> f2.get(30, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(StreamVersionMismatchException.class, e -> assertThat(e.actualVersion()).isEqualTo(1));
        assertThatThrownBy(() -> f3.get(30, TimeUnit.SECONDS)).cause().isInstanceOf(DuplicateEventIdException.class);
        assertThatThrownBy(() -> f4.get(30, TimeUnit.SECONDS)).cause().isInstanceOf(IllegalStateException.class);

        assertThat(xidsOf(List.of(e1.get(0), e5.get(0)))).as("one shared transaction").hasSize(1);
        assertThat(e1.get(0).globalPosition().orElseThrow()).isLessThan(e5.get(0).globalPosition().orElseThrow());
        assertThat(store.readStream(ok1, ReadStreamOptions.defaults()).toList()).isEqualTo(e1);
        assertThat(store.readStream(ok2, ReadStreamOptions.defaults()).toList()).isEqualTo(e5);
        assertThat(store.readStream(conflict, ReadStreamOptions.defaults()).toList()).hasSize(1);
        assertThatThrownBy(() -> store.readStream(aborted, ReadStreamOptions.defaults()))
                .isInstanceOf(dev.estoria.eventstore.StreamNotFoundException.class);
        assertThatThrownBy(() -> store.readStream(dup, ReadStreamOptions.defaults()))
                .isInstanceOf(dev.estoria.eventstore.StreamNotFoundException.class);
    }

    @Test
    void groupsAreBounded() throws Exception {
        store = db.newStore(PostgresOptions.defaults().withWriterLanes(1).withMaxGroupAppends(2));
        TypeId blocker = TypeId.newV4("group");
        CountDownLatch in = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        store.setAppendHook((stream, written) -> {
            if (stream.equals(blocker)) {
                in.countDown();
                WatermarkRegressionTest.await(release);
            }
        });
        CompletableFuture<List<Event>> b = async(blocker, one("blocker"), AppendStreamOptions.defaults());
        assertThat(in.await(30, TimeUnit.SECONDS)).isTrue();
        List<CompletableFuture<List<Event>>> queued = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            CompletableFuture<List<Event>> f = async(TypeId.newV4("group"), one("q" + i), AppendStreamOptions.defaults());
            waitQueued(i + 1);
            queued.add(f);
        }
        release.countDown();
        b.get(30, TimeUnit.SECONDS);
        List<Event> all = new ArrayList<>();
        for (CompletableFuture<List<Event>> f : queued) {
            all.addAll(f.get(30, TimeUnit.SECONDS));
        }
        assertThat(xidsOf(all)).as("6 appends in groups of at most 2").hasSize(3);
    }

    /** Waits until {@code n} appends wait in the lanes' queues. */
    private void waitQueued(int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (store.queuedAppends() < n) {
            assertThat(System.nanoTime()).as("%d appends queued", n).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    private Set<String> xidsOf(List<Event> events) throws Exception {
        Set<String> xids = new HashSet<>();
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(
                "SELECT xid::text FROM \"" + store.options().schema() + "\".events WHERE position = ?")) {
            for (Event e : events) {
                s.setLong(1, e.globalPosition().orElseThrow());
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    xids.add(rs.getString(1));
                }
            }
        }
        return xids;
    }
}
