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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
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
 * Wake-ups between processes: two stores with their own pools on one schema stand for two
 * processes. A subscriber of one, polling only every hour, must receive the other's append within
 * its 20 s wait: only a notification wakes it before that.
 */
@Timeout(90)
class CrossProcessNotificationTest {

    private static final Duration WAIT = Duration.ofSeconds(20);
    private static final Duration HOURLY = Duration.ofHours(1);

    private final TestDatabase db = TestDatabase.get();
    private String schema;
    private PostgresEventStore subscriberSide;
    private PostgresEventStore writerSide;

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
        subscriberSide.close();
        writerSide.close();
        db.dropSchema(schema);
    }

    /**
     * The subscriber store as a subscription sees it, telling the test when a read has returned: a
     * read's frontier is fixed by then, so an append made afterwards can only reach the subscriber
     * through a wake-up (or its hourly poll).
     */
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

    private final ExecutorService waiter = Executors.newSingleThreadExecutor();

    @AfterEach
    void stopWaiter() {
        waiter.shutdownNow();
    }

    private Subscription subscribe(ObservedReader reader) {
        return Subscription.to(reader, SubscriptionOptions.defaults().pollInterval(HOURLY));
    }

    /**
     * Starts the subscriber's wait, appends through the writer's store once the wait's first read
     * has returned, and checks the subscriber receives the event well before its wait ends.
     */
    private void assertDeliveredByNotification(ObservedReader reader, Subscription subscription) throws Exception {
        assertThat(subscription.next(Duration.ZERO)).as("caught up before the append").isEmpty();
        reader.reads.drainPermits();
        long wakesBefore = subscriberSide.crossProcess().remoteWakes();
        long start = System.nanoTime();
        Future<Optional<Event>> received = waiter.submit(() -> subscription.next(WAIT));
        assertThat(reader.reads.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the wait's first read").isTrue();
        Event written = writerSide.appendStream(TypeId.newV4("remote"), List.of(WritableEvent.of("pinged", new byte[] {1})))
                .get(0);
        assertThat(received.get(WAIT.toSeconds() + 10, TimeUnit.SECONDS)).contains(written);
        Duration waited = Duration.ofNanos(System.nanoTime() - start);
        // A subscription reads once more when its wait ends; arriving well before that means a wake-up.
        assertThat(waited).isLessThan(WAIT.minusSeconds(5));
        assertThat(subscriberSide.crossProcess().remoteWakes()).isGreaterThan(wakesBefore);
    }

    @Test
    void anAppendInAnotherProcessWakesASubscriberThatPollsHourly() throws Exception {
        ObservedReader reader = new ObservedReader(subscriberSide);
        try (Subscription subscription = subscribe(reader)) {
            assertDeliveredByNotification(reader, subscription);
            assertDeliveredByNotification(reader, subscription);
        }
    }

    @Test
    void theListenerRecoversFromATerminatedConnection() throws Exception {
        ObservedReader reader = new ObservedReader(subscriberSide);
        try (Subscription subscription = subscribe(reader)) {
            // Registered after the subscription, so it is called after it: once it is, the wake that
            // follows the new LISTEN (for what was committed meanwhile) has reached the subscription,
            // and cannot be taken below for the wake of the append.
            CountDownLatch rewoken = new CountDownLatch(1);
            try (AutoCloseable registration = subscriberSide.onAppend(rewoken::countDown)) {
                CrossProcessNotifications notifications = subscriberSide.crossProcess();
                long generation = notifications.listeningGeneration();
                int pid = notifications.listenerPid();
                assertThat(pid).isPositive();
                try (Connection c = db.connect();
                        PreparedStatement s = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
                    s.setInt(1, pid);
                    try (ResultSet rs = s.executeQuery()) {
                        rs.next();
                        assertThat(rs.getBoolean(1)).isTrue();
                    }
                }
                assertThat(notifications.awaitListening(generation + 1, WAIT)).as("listening again").isTrue();
                assertThat(notifications.listenerPid()).isNotEqualTo(pid);
                assertThat(rewoken.await(WAIT.toSeconds(), TimeUnit.SECONDS)).as("woken after listening again").isTrue();
            }
            assertDeliveredByNotification(reader, subscription);
        }
    }

    /**
     * A listening connection that stops answering (a partition, a dead host) neither closes nor
     * errs; only a timeout on its idle check finds out, after which the listener connects again.
     */
    @Test
    void theListenerReconnectsWhenItsConnectionStopsAnswering() throws Exception {
        try (FreezingProxy proxy = new FreezingProxy(db.jdbcUrl);
                PostgresEventStore partitioned = PostgresEventStore.open(proxy.url(db.jdbcUrl),
                        subscriberSide.options().withStatementTimeout(Duration.ofSeconds(1)))) {
            CountDownLatch woken = new CountDownLatch(1);
            try (AutoCloseable registration = partitioned.onAppend(woken::countDown)) {
                CrossProcessNotifications notifications = partitioned.crossProcess();
                assertThat(notifications.awaitListening(1, WAIT)).isTrue();
                proxy.freeze();

                // The idle check runs after 10 s without traffic and times out 6 s later.
                assertThat(notifications.awaitListening(2, Duration.ofSeconds(45))).as("listening again").isTrue();
                writerSide.appendStream(TypeId.newV4("remote"), List.of(WritableEvent.of("pinged", new byte[] {1})));
                assertThat(woken.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    @Test
    void aStoreDoesNotWakeItselfThroughItsOwnNotifications() throws Exception {
        ObservedReader reader = new ObservedReader(subscriberSide);
        try (Subscription subscription = subscribe(reader)) {
            // Round trip through the other side first, so our own NOTIFY would have arrived before it.
            Event own = subscriberSide.appendStream(TypeId.newV4("local"), List.of(WritableEvent.of("x", new byte[0])))
                    .get(0);
            assertThat(subscription.next(WAIT)).contains(own);
            assertDeliveredByNotification(reader, subscription);
        }
    }

    @Test
    void aWakeUpHeldBackByAnOlderTransactionArrivesOnceItEnds() throws Exception {
        ObservedReader reader = new ObservedReader(subscriberSide);
        try (Subscription subscription = subscribe(reader); Connection blocker = db.rawConnection()) {
            assertThat(subscription.next(Duration.ZERO)).isEmpty();
            // An older transaction holding an ID keeps the next append below the watermark.
            holdAnId(blocker);
            reader.reads.drainPermits();
            long start = System.nanoTime();
            Future<Optional<Event>> received = waiter.submit(() -> subscription.next(WAIT));
            assertThat(reader.reads.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the wait's first read").isTrue();
            Event written = writerSide.appendStream(TypeId.newV4("remote"),
                    List.of(WritableEvent.of("pinged", new byte[] {1}))).get(0);
            // The notification wakes the subscriber, whose read cannot see the event yet.
            assertThat(reader.reads.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).as("the woken read").isTrue();
            assertThat(received.isDone()).isFalse();
            blocker.rollback();
            assertThat(received.get(WAIT.toSeconds() + 10, TimeUnit.SECONDS)).contains(written);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(WAIT.minusSeconds(5));
        }
    }

    @Test
    void anEarlierHeldBackWakeUpIsRepeatedWhenItsEventsBecomeVisible() throws Exception {
        ObservedReader reader = new ObservedReader(subscriberSide);
        try (Subscription subscription = subscribe(reader);
                Connection older = db.rawConnection(); Connection younger = db.rawConnection()) {
            assertThat(subscription.next(Duration.ZERO)).isEmpty();
            holdAnId(older);
            reader.reads.drainPermits();
            Future<Optional<Event>> received = waiter.submit(() -> subscription.next(WAIT));
            assertThat(reader.reads.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).as("first read").isTrue();
            Event first = writerSide.appendStream(TypeId.newV4("remote"),
                    List.of(WritableEvent.of("first", new byte[] {1}))).get(0);
            // Woken by the notification; the read gives up waiting (older is open) and the store watches.
            assertThat(reader.reads.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).as("read woken by first").isTrue();
            holdAnId(younger);
            writerSide.appendStream(TypeId.newV4("remote"), List.of(WritableEvent.of("second", new byte[] {2})));
            assertThat(reader.reads.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).as("read woken by second").isTrue();
            assertThat(received.isDone()).isFalse();
            // The first event is now below the watermark; the second stays held back by younger.
            older.rollback();
            long visibleSince = System.nanoTime();
            try {
                assertThat(received.get(WAIT.toSeconds() + 10, TimeUnit.SECONDS)).contains(first);
                // The subscription reads once more when its 20 s wait ends; only a wake-up delivers it well before.
                assertThat(Duration.ofNanos(System.nanoTime() - visibleSince)).isLessThan(Duration.ofSeconds(5));
            } finally {
                younger.rollback();
            }
        }
    }

    /** Opens a transaction on {@code c} that holds a transaction ID, and so holds the watermark back. */
    private static void holdAnId(Connection c) throws Exception {
        c.setAutoCommit(false);
        try (var s = c.createStatement()) {
            s.execute("SELECT pg_current_xact_id()");
        }
    }

    @Test
    void aBogusPayloadWakesListenersButHoldsBackOneReadOnly() throws Exception {
        CountDownLatch woken = new CountDownLatch(1);
        try (AutoCloseable registration = subscriberSide.onAppend(woken::countDown)) {
            try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement("SELECT pg_notify(?, ?)")) {
                s.setString(1, subscriberSide.crossProcess().channel());
                s.setString(2, Long.toString(Long.MAX_VALUE >> 1));
                s.execute();
            }
            assertThat(woken.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            assertThat(subscriberSide.remoteCommittedXid()).isEqualTo(Long.MAX_VALUE >> 1);
            // No transaction will ever have that ID: the read waits its settle timeout once, then forgets it.
            assertThat(subscriberSide.readAll().toList()).isEmpty();
            assertThat(subscriberSide.remoteCommittedXid()).isZero();
        }
    }

    @Test
    void withTheOptionOffOnlyLocalAppendsWakeListeners() throws Exception {
        try (PostgresEventStore local = PostgresEventStore.open(db.dataSource(), subscriberSide.options()
                .withCrossProcessNotifications(false))) {
            assertThat(local.crossProcess()).isNull();
            CountDownLatch woken = new CountDownLatch(1);
            try (AutoCloseable registration = local.onAppend(woken::countDown)) {
                local.appendStream(TypeId.newV4("local"), List.of(WritableEvent.of("x", new byte[0])));
                assertThat(woken.await(WAIT.toSeconds(), TimeUnit.SECONDS)).isTrue();
            }
        }
    }

    @Test
    void closingTheStoreStopsListeningOnTheCallersPooledConnection() throws Exception {
        com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
        config.setJdbcUrl(db.jdbcUrl);
        config.setMaximumPoolSize(2);
        try (com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource(config)) {
            try (PostgresEventStore store = PostgresEventStore.open(pool, subscriberSide.options());
                    AutoCloseable registration = store.onAppend(() -> { })) {
                assertThat(store.crossProcess().listenerPid()).isPositive();
            }
            try (Connection a = pool.getConnection(); Connection b = pool.getConnection()) {
                for (Connection c : List.of(a, b)) {
                    try (var s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT count(*) FROM"
                            + " pg_listening_channels()")) {
                        rs.next();
                        assertThat(rs.getInt(1)).isZero();
                    }
                }
            }
        }
    }

    /**
     * Two stores on one caller's pool send their notifications over the same pooled connection, so
     * the sending session no longer tells one store's notifications from the other's.
     */
    @Test
    void storesSharingACallersPoolWakeEachOther() throws Exception {
        com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
        config.setJdbcUrl(db.jdbcUrl);
        // One connection for each store's listener, and one that every append and send shares.
        config.setMaximumPoolSize(3);
        try (com.zaxxer.hikari.HikariDataSource pool = new com.zaxxer.hikari.HikariDataSource(config);
                PostgresEventStore first = PostgresEventStore.open(pool, subscriberSide.options());
                PostgresEventStore second = PostgresEventStore.open(pool, subscriberSide.options())) {
            Semaphore firstWoken = new Semaphore(0);
            Semaphore secondWoken = new Semaphore(0);
            try (AutoCloseable a = first.onAppend(firstWoken::release);
                    AutoCloseable b = second.onAppend(secondWoken::release)) {
                for (int round = 0; round < 3; round++) {
                    first.appendStream(TypeId.newV4("first"), List.of(WritableEvent.of("x", new byte[0])));
                    assertThat(secondWoken.tryAcquire(WAIT.toSeconds(), TimeUnit.SECONDS)).as("second, round " + round)
                            .isTrue();
                    second.appendStream(TypeId.newV4("second"), List.of(WritableEvent.of("x", new byte[0])));
                    assertThat(firstWoken.tryAcquire(2, WAIT.toSeconds(), TimeUnit.SECONDS))
                            .as("first, by its own append and the second's, round " + round).isTrue();
                    firstWoken.drainPermits();
                    secondWoken.drainPermits();
                }
            }
        }
    }

    @Test
    void channelNamesFitPostgresIdentifiers() {
        assertThat(CrossProcessNotifications.channelName("estoria")).isEqualTo("estoria_appends");
        String longSchema = "s".repeat(63);
        String channel = CrossProcessNotifications.channelName(longSchema);
        assertThat(channel.length()).isLessThanOrEqualTo(63);
        assertThat(channel).isNotEqualTo(CrossProcessNotifications.channelName("t".repeat(63)));
    }

    @Test
    void aReconnectedListenerWakesTheLocalListeners() throws Exception {
        java.util.concurrent.atomic.AtomicInteger wakes = new java.util.concurrent.atomic.AtomicInteger();
        try (AutoCloseable registration = subscriberSide.onAppend(wakes::incrementAndGet)) {
            CrossProcessNotifications notifications = subscriberSide.crossProcess();
            long generation = notifications.listeningGeneration();
            int before = wakes.get();
            try (Connection c = db.connect();
                    PreparedStatement s = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
                s.setInt(1, notifications.listenerPid());
                s.executeQuery().close();
            }
            assertThat(notifications.awaitListening(generation + 1, WAIT)).as("listening again").isTrue();
            // Notifications sent while it was away are lost: the reconnect itself must make subscribers read again.
            long deadline = System.nanoTime() + WAIT.toNanos();
            while (wakes.get() == before && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertThat(wakes.get()).isGreaterThan(before);
        }
    }

    @Test
    void closingAStoreClosesItsNotificationConnections() throws Exception {
        String other = TestDatabase.randomSchema();
        String applicationName = "estoria:" + other + ":notify";
        PostgresEventStore store = PostgresEventStore.open(db.jdbcUrl, subscriberSide.options().withSchema(other));
        try {
            try (AutoCloseable registration = store.onAppend(() -> { })) {
                store.appendStream(TypeId.newV4("local"), List.of(WritableEvent.of("x", new byte[0])));
                awaitBackends(applicationName, 2); // the listener's and, once it announced the append, the sender's
            }
            store.close();
            awaitBackends(applicationName, 0);
        } finally {
            store.close();
            db.dropSchema(other);
        }
    }

    private void awaitBackends(String applicationName, int expected) throws Exception {
        long deadline = System.nanoTime() + WAIT.toNanos();
        while (true) {
            try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = ?")) {
                s.setString(1, applicationName);
                try (ResultSet rs = s.executeQuery()) {
                    rs.next();
                    if (rs.getInt(1) == expected) {
                        return;
                    }
                }
            }
            assertThat(System.nanoTime()).as("%d backends named %s", expected, applicationName).isLessThan(deadline);
            Thread.sleep(50);
        }
    }
}
