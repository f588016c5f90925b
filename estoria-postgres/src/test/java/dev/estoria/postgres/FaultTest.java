package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.EstoriaException;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Killed connections, blocked statements and a server restart: clear errors, no hang, no loss, recovery. */
@Timeout(120)
class FaultTest {

    private static final Duration CALL_BOUND = Duration.ofSeconds(15);

    private final TestDatabase db = TestDatabase.get();

    private static PostgresOptions faultOptions(String schema) {
        return PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO)
                .withConnectionTimeout(Duration.ofSeconds(2)).withStatementTimeout(Duration.ofSeconds(3))
                .withPoolSize(6).withReadSettleTimeout(Duration.ZERO);
    }

    @Test
    void terminatedBackendsFailCallsQuicklyAndTheStoreRecoversWithoutLosingAcknowledgedEvents() throws Exception {
        String schema = TestDatabase.randomSchema();
        int writers = 6;
        Set<Event> acknowledged = ConcurrentHashMap.newKeySet();
        List<Throwable> failures = new CopyOnWriteArrayList<>();
        List<Duration> failureTimes = new CopyOnWriteArrayList<>();
        AtomicBoolean stop = new AtomicBoolean();
        AtomicLong acks = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(writers + 1);
        try (PostgresEventStore store = PostgresEventStore.open(db.jdbcUrl, faultOptions(schema))) {
            List<Future<?>> tasks = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                TypeId stream = TypeId.newV4("faulty");
                tasks.add(pool.submit(() -> {
                    while (!stop.get()) {
                        long start = System.nanoTime();
                        try {
                            acknowledged.addAll(store.appendStream(stream, List.of(WritableEvent.of("e", new byte[] {1}))));
                            acks.incrementAndGet();
                        } catch (EstoriaException e) {
                            failures.add(e);
                            failureTimes.add(Duration.ofNanos(System.nanoTime() - start));
                        }
                    }
                    return null;
                }));
            }
            tasks.add(pool.submit(() -> {
                while (!stop.get()) {
                    long start = System.nanoTime();
                    try (StreamIterator it = store.readAll(ReadAllOptions.defaults().count(100))) {
                        it.forEachRemaining(e -> { });
                    } catch (EstoriaException e) {
                        failures.add(e);
                        failureTimes.add(Duration.ofNanos(System.nanoTime() - start));
                    }
                }
                return null;
            }));

            int killed = 0;
            for (int round = 0; round < 5; round++) {
                awaitAcks(acks, acks.get() + 10);
                killed += terminate("estoria:" + schema);
            }
            awaitAcks(acks, acks.get() + 10);
            stop.set(true);
            for (Future<?> f : tasks) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(killed).isPositive();
            assertThat(failures).as("killed sessions surface as failures").isNotEmpty();
            for (Throwable f : failures) {
                assertThat(f).isInstanceOf(EventStoreException.class);
            }
            assertThat(failures).anySatisfy(f -> assertThat(f).isInstanceOf(StoreUnavailableException.class));
            for (Duration d : failureTimes) {
                assertThat(d).as("no hang").isLessThan(CALL_BOUND);
            }

            // The store recovers by itself: broken connections are replaced.
            TypeId after = TypeId.newV4("faulty");
            int recoveryFailures = 0;
            int successes = 0;
            while (successes < 10) {
                try {
                    acknowledged.addAll(store.appendStream(after, List.of(WritableEvent.of("e", new byte[] {2}))));
                    successes++;
                } catch (StoreUnavailableException e) {
                    recoveryFailures++;
                    assertThat(recoveryFailures).as("recovers within the pool's size").isLessThanOrEqualTo(6);
                }
            }

            // No acknowledged event was lost.
            List<Event> all = store.readAll(ReadAllOptions.defaults()).toList();
            assertThat(all).containsAll(acknowledged);
            for (Event e : acknowledged) {
                assertThat(store.readStream(e.streamId(), ReadStreamOptions.defaults().afterVersion(e.streamVersion() - 1)
                        .count(1)).toList()).containsExactly(e);
            }
        } finally {
            pool.shutdownNow();
            db.dropSchema(schema);
        }
    }

    @Test
    void appendBlockedOnALockedStreamFailsWithinTheLockTimeout() throws Exception {
        String schema = TestDatabase.randomSchema();
        PostgresOptions options = faultOptions(schema).withStatementTimeout(Duration.ofSeconds(1));
        try (PostgresEventStore store = PostgresEventStore.open(db.jdbcUrl, options)) {
            blockedAppendTimesOut(store, schema);
        } finally {
            db.dropSchema(schema);
        }
    }

    @Test
    void appendBlockedOnALockedStreamFailsWithinTheLockTimeoutWithTheCallersPool() throws Exception {
        String schema = TestDatabase.randomSchema();
        // The shared test pool sets a 30 s statement_timeout and no lock_timeout; the store's own apply.
        PostgresOptions options = faultOptions(schema).withStatementTimeout(Duration.ofSeconds(1));
        try (PostgresEventStore store = PostgresEventStore.open(db.dataSource(), options)) {
            blockedAppendTimesOut(store, schema);
        } finally {
            db.dropSchema(schema);
        }
    }

    private void blockedAppendTimesOut(PostgresEventStore store, String schema) throws Exception {
        try (Connection locker = db.rawConnection()) {
            TypeId stream = TypeId.newV4("locked");
            store.appendStream(stream, one("e"));
            lockStreamRow(locker, schema, stream);
            long start = System.nanoTime();
            assertThatThrownBy(() -> store.appendStream(stream, one("e")))
                    .isInstanceOf(EventStoreException.class).hasMessageContaining(stream.toString())
                    // The server answered that the lock wait ran out, so the outcome is known.
                    .hasMessageContaining("lock timeout").hasMessageContaining("nothing of it was written");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(Duration.ofSeconds(5));
            locker.commit();
            store.appendStream(stream, one("e"));
            assertThat(store.readStream(stream, ReadStreamOptions.defaults()).toList()).hasSize(2);
        }
    }

    @Test
    void aStreamLockedByAnotherTransactionFailsOnlyItsOwnAppendInAGroup() throws Exception {
        String schema = TestDatabase.randomSchema();
        try (PostgresEventStore store = PostgresEventStore.open(db.jdbcUrl, lockWaitOptions(schema))) {
            lockedStreamFailsOnlyItsOwnAppend(store, schema);
        } finally {
            db.dropSchema(schema);
        }
    }

    @Test
    void aStreamLockedByAnotherTransactionFailsOnlyItsOwnAppendInAGroupWithTheCallersPool() throws Exception {
        String schema = TestDatabase.randomSchema();
        try (PostgresEventStore store = PostgresEventStore.open(db.dataSource(), lockWaitOptions(schema))) {
            lockedStreamFailsOnlyItsOwnAppend(store, schema);
        } finally {
            db.dropSchema(schema);
        }
    }

    /**
     * One lane, and a lock timeout (half the statement timeout) long enough for the test to queue
     * two appends behind the first one's lock wait on a loaded machine before that wait gives up.
     */
    private static PostgresOptions lockWaitOptions(String schema) {
        return faultOptions(schema).withWriterLanes(1).withStatementTimeout(Duration.ofSeconds(8));
    }

    /**
     * Another transaction (another process's, left open) holds one stream's row while that stream's
     * append shares a group with an append to a free stream: the lock wait must fail the one append
     * that waited, not its group.
     */
    private void lockedStreamFailsOnlyItsOwnAppend(PostgresEventStore store, String schema) throws Exception {
        TypeId blocker = TypeId.newV4("locked");
        TypeId hot = TypeId.newV4("locked");
        TypeId free = TypeId.newV4("locked");
        store.appendStream(blocker, one("b0"));
        store.appendStream(hot, one("h0"));
        ExecutorService callers = Executors.newCachedThreadPool();
        try (Connection blockerLock = db.rawConnection(); Connection hotLock = db.rawConnection()) {
            lockStreamRow(blockerLock, schema, blocker);
            lockStreamRow(hotLock, schema, hot);
            // The lane's first append waits on the blocker's lock, so the next two queue into one group.
            Future<List<Event>> b = callers.submit(() -> store.appendStream(blocker, one("b1")));
            db.awaitBlockedBy(blockerLock);
            Future<List<Event>> h = callers.submit(() -> store.appendStream(hot, one("h1")));
            awaitQueued(store, 1);
            Future<List<Event>> f = callers.submit(() -> store.appendStream(free, one("f1")));
            awaitQueued(store, 2);
            blockerLock.rollback();
            assertThat(b.get(30, TimeUnit.SECONDS)).hasSize(1);

            assertThat(f.get(30, TimeUnit.SECONDS)).as("the append to the free stream").hasSize(1);
            assertThatThrownBy(() -> h.get(30, TimeUnit.SECONDS)).cause().isInstanceOf(EventStoreException.class)
                    .isNotInstanceOf(StoreUnavailableException.class).hasMessageContaining(hot.toString())
                    .hasMessageContaining("lock timeout").hasMessageContaining("nothing of it was written");
            hotLock.rollback();
            assertThat(store.readStream(hot, ReadStreamOptions.defaults()).toList()).hasSize(1);
            assertThat(store.readStream(free, ReadStreamOptions.defaults()).toList()).hasSize(1);
        } finally {
            callers.shutdownNow();
        }
    }

    private static List<WritableEvent> one(String text) {
        return List.of(WritableEvent.of("e", text.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
    }

    private static void lockStreamRow(Connection locker, String schema, TypeId stream) throws Exception {
        locker.setAutoCommit(false);
        try (PreparedStatement s = locker.prepareStatement("SELECT tip FROM \"" + schema
                + "\".streams WHERE stream_uuid = ? FOR UPDATE")) {
            s.setObject(1, stream.uuid());
            s.executeQuery().close();
        }
    }

    private static void awaitQueued(PostgresEventStore store, int n) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (store.queuedAppends() < n) {
            assertThat(System.nanoTime()).as("%d appends queued", n).isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    /** Against an embedded server the test owns, so it can stop and start it. */
    @Test
    void serverRestartFailsCallsClearlyAndTheStoreReconnects() throws Exception {
        Path data = Files.createTempDirectory("estoria-restart");
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        EmbeddedPostgres pg = start(data, port);
        String schema = TestDatabase.randomSchema();
        try (PostgresEventStore store = PostgresEventStore.open(pg.getJdbcUrl("postgres", "postgres"), faultOptions(schema))) {
            TypeId stream = TypeId.newV4("restart");
            List<Event> before = store.appendStream(stream, List.of(WritableEvent.of("e", new byte[] {1})));
            pg.close();

            long start = System.nanoTime();
            assertThatThrownBy(() -> store.appendStream(stream, List.of(WritableEvent.of("e", new byte[] {2}))))
                    .isInstanceOf(StoreUnavailableException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(CALL_BOUND);
            assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()))
                    .isInstanceOf(StoreUnavailableException.class);

            pg = start(data, port);
            List<Event> after = null;
            for (int attempt = 0; after == null; attempt++) {
                try {
                    after = store.appendStream(stream, List.of(WritableEvent.of("e", new byte[] {3})));
                } catch (StoreUnavailableException e) {
                    assertThat(attempt).as("reconnects after the restart").isLessThan(6);
                }
            }
            List<Event> all = new ArrayList<>(before);
            all.addAll(after);
            assertThat(store.readStream(stream, ReadStreamOptions.defaults()).toList()).containsExactlyElementsOf(all);
        } finally {
            pg.close();
        }
    }

    private static EmbeddedPostgres start(Path data, int port) throws Exception {
        return EmbeddedPostgres.builder().setDataDirectory(data).setCleanDataDirectory(false).setPort(port).start();
    }

    private int terminate(String applicationName) throws Exception {
        try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(
                "SELECT count(*) FILTER (WHERE pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = ?")) {
            s.setString(1, applicationName);
            try (ResultSet rs = s.executeQuery()) {
                rs.next();
                return rs.getInt(1);
            }
        }
    }

    private static void awaitAcks(AtomicLong acks, long target) {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (acks.get() < target) {
            assertThat(System.nanoTime()).as("writers keep making progress").isLessThan(deadline);
            Thread.onSpinWait();
        }
    }

    /** A caller's pool sets no socket timeout: only the append timeout bounds a call whose connection went silent. */
    @Test
    void anAppendWhoseConnectionGoesSilentFailsWithinTheAppendTimeoutWithTheCallersPool() throws Exception {
        String schema = TestDatabase.randomSchema();
        PostgresOptions options = faultOptions(schema).withStatementTimeout(Duration.ofSeconds(1));
        try (FreezingProxy proxy = new FreezingProxy(db.jdbcUrl)) {
            com.zaxxer.hikari.HikariConfig config = new com.zaxxer.hikari.HikariConfig();
            config.setJdbcUrl(proxy.url(db.jdbcUrl));
            try (com.zaxxer.hikari.HikariDataSource callers = new com.zaxxer.hikari.HikariDataSource(config);
                    PostgresEventStore store = PostgresEventStore.open(callers, options)) {
                TypeId stream = TypeId.newV4("silent");
                store.appendStream(stream, one("e"));
                // Runs in the append's transaction, after its insert: the COMMIT that follows gets no answer.
                store.setAppendHook((id, written) -> proxy.freeze());
                long start = System.nanoTime();
                assertThatThrownBy(() -> store.appendStream(stream, one("e")))
                        .isInstanceOf(StoreUnavailableException.class)
                        .hasMessageContaining("may or may not have been written");
                assertThat(Duration.ofNanos(System.nanoTime() - start)).isLessThan(options.appendTimeout().plusSeconds(3));
            }
        } finally {
            db.dropSchema(schema);
        }
    }

    /** The store's own pool: the socket timeout ends the wait for the COMMIT's answer, whose outcome is unknown. */
    @Test
    void aCommitWhoseAnswerIsLostIsReportedAsMaybeWritten() throws Exception {
        String schema = TestDatabase.randomSchema();
        PostgresOptions options = faultOptions(schema).withConnectionTimeout(Duration.ofSeconds(10))
                .withStatementTimeout(Duration.ofSeconds(1)); // socket timeout 6 s, append timeout 13 s
        try (FreezingProxy proxy = new FreezingProxy(db.jdbcUrl);
                PostgresEventStore store = PostgresEventStore.open(proxy.url(db.jdbcUrl), options)) {
            store.setAppendHook((id, written) -> proxy.freeze());
            assertThatThrownBy(() -> store.appendStream(TypeId.newV4("silent"), one("e")))
                    .isInstanceOf(StoreUnavailableException.class)
                    .hasMessageContaining("may or may not have been written");
        } finally {
            db.dropSchema(schema);
        }
    }
}
