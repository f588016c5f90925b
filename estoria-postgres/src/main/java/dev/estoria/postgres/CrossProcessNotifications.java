package dev.estoria.postgres;

import java.lang.System.Logger.Level;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;

/**
 * Append wake-ups between processes over {@code LISTEN/NOTIFY}, out of band of the append
 * transactions.
 *
 * <p><b>Sending.</b> After a group transaction commits, the store hands its transaction ID to
 * {@link #announce}. One sender thread issues {@code SELECT pg_notify(channel, xid)} in auto-commit
 * mode on its own connection, never inside an append transaction: a {@code NOTIFY} inside a
 * transaction takes a cluster-wide lock at commit, which would serialise every append. Sends are
 * coalesced: at most one is in flight, sends are at least 2 ms apart, and commits that land meanwhile
 * are covered by one more send carrying the highest transaction ID.
 *
 * <p><b>Listening.</b> Started with the first local listener: a thread holds its own connection,
 * {@code LISTEN}s on the channel and, for each batch of notifications from other stores, passes
 * the highest announced transaction ID on (so reads wait for it to settle, as for the process's
 * own appends) and wakes the local listeners. On a lost connection it reconnects with backoff,
 * listens again and wakes the local listeners once, because notifications sent while it was away
 * are lost; subscribers then read again. Notifications are hints: the subscribers' slow poll stays
 * the safety net.
 */
final class CrossProcessNotifications implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(PostgresEventStore.class.getName());
    private static final int WAIT_MILLIS = 250;
    private static final long IDLE_CHECK_NANOS = TimeUnit.SECONDS.toNanos(10);
    private static final long MAX_BACKOFF_MILLIS = 5_000;
    /** How often a standby is asked again whether it takes LISTEN: once promoted, it does. */
    static final long STANDBY_RECHECK_MILLIS = 10_000;
    /** The least time between two sends: caps NOTIFY transactions at 500 per second. */
    private static final long MIN_SEND_GAP_NANOS = TimeUnit.MILLISECONDS.toNanos(2);
    /**
     * How many sent transaction IDs are remembered. Notifications arrive in send order within
     * moments; one that arrives after its ID was forgotten only wakes this store's listeners once
     * more, which costs a read.
     */
    private static final int SENT_XIDS_KEPT = 64;

    /** Opens a connection for the sender or the listener. */
    @FunctionalInterface
    interface ConnectionSource {
        Connection get() throws SQLException;
    }

    private final String channel;
    private final ConnectionSource listenerSource;
    private final ConnectionSource senderSource;
    private final boolean keepSenderConnection;
    private final Runnable wake;
    private final LongConsumer remoteCommit;
    private final String schemaName;

    private final AtomicLong pendingXid = new AtomicLong();
    private final AtomicBoolean sending = new AtomicBoolean();
    private final ExecutorService sender;
    private Connection senderConnection; // sender thread only
    private long lastSendNanos = System.nanoTime() - MIN_SEND_GAP_NANOS; // sender thread only
    /**
     * The transaction IDs this store announced most recently, so the listener can pass over its
     * own notifications: transaction IDs are unique in the cluster, whereas the sending session is
     * not this store's alone when its connection comes from a pool other stores share.
     */
    private final long[] sentXids = new long[SENT_XIDS_KEPT]; // guarded by itself
    private int sentXidsNext; // guarded by sentXids

    private final Object listening = new Object();
    private long listeningGeneration; // guarded by listening; counts successful LISTENs
    private volatile int listenerPid;
    private Thread listener; // guarded by listening
    private volatile boolean closed;
    /**
     * Whether the server refused LISTEN for being in recovery: a hot standby, which the primary's
     * notifications never reach. Subscribers then rely on their poll, without waiting for a LISTEN.
     */
    private volatile boolean standby;
    private final AtomicLong remoteWakes = new AtomicLong();

    /**
     * @param keepSenderConnection whether the sender keeps its connection between sends (a dedicated
     *     one) or returns it after each send (one borrowed from the caller's pool)
     * @param wake wakes the local listeners
     * @param remoteCommit receives the highest transaction ID another process announced
     */
    CrossProcessNotifications(String schema, ConnectionSource listenerSource, ConnectionSource senderSource,
            boolean keepSenderConnection, Runnable wake, LongConsumer remoteCommit) {
        this.schemaName = schema;
        this.channel = channelName(schema);
        this.listenerSource = listenerSource;
        this.senderSource = senderSource;
        this.keepSenderConnection = keepSenderConnection;
        this.wake = wake;
        this.remoteCommit = remoteCommit;
        this.sender = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "estoria-notify-sender-" + schema);
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * {@code <schema>_appends}, or, when that would pass 63 bytes, {@code estoria.<hash>.appends}
     * with the first 64 bits of the schema name's SHA-256: the dots, which no schema name holds,
     * keep it apart from every plain channel, and a cryptographic hash keeps two long names apart
     * (a polynomial hash gives "Aa" and "BB" the same value, so tenants' names differing there
     * would wake each other).
     */
    static String channelName(String schema) {
        String name = schema + "_appends";
        if (name.getBytes(StandardCharsets.UTF_8).length <= 63) {
            return name;
        }
        return "estoria." + Schema.digest(schema) + ".appends";
    }

    String channel() {
        return channel;
    }

    // ------------------------------------------------------------------ sending

    /** Announces a committed append transaction to other processes; returns at once. */
    void announce(long xid) {
        pendingXid.accumulateAndGet(xid, Math::max);
        scheduleSend();
    }

    private void scheduleSend() {
        if (closed || !sending.compareAndSet(false, true)) {
            return;
        }
        try {
            sender.execute(this::drain);
        } catch (RejectedExecutionException e) {
            sending.set(false); // closing
        }
    }

    private void drain() {
        try {
            long xid;
            while (!closed && (xid = pendingXid.getAndSet(0)) != 0) {
                // Under load each NOTIFY is a transaction competing with the appends for the
                // server: keep them apart by a small gap, in which further commits coalesce. A send
                // after a quiet spell goes at once.
                long wait = lastSendNanos + MIN_SEND_GAP_NANOS - System.nanoTime();
                if (wait > 0) {
                    java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    xid = Math.max(xid, pendingXid.getAndSet(0));
                }
                lastSendNanos = System.nanoTime();
                send(xid);
            }
        } finally {
            sending.set(false);
        }
        if (pendingXid.get() != 0) {
            // An announce between the last getAndSet and the reset above found the flag still set.
            scheduleSend();
        }
    }

    private void send(long xid) {
        for (int attempt = 1; attempt <= 2; attempt++) {
            try {
                if (senderConnection == null) {
                    senderConnection = senderSource.get();
                    senderConnection.setAutoCommit(true);
                }
                remember(xid);
                try (PreparedStatement s = senderConnection.prepareStatement("SELECT pg_notify(?, ?)")) {
                    s.setString(1, channel);
                    s.setString(2, Long.toString(xid));
                    s.execute();
                }
                if (!keepSenderConnection) {
                    closeSender();
                }
                return;
            } catch (SQLException | RuntimeException e) {
                closeSender();
                if (attempt == 2 || closed) {
                    // Other processes' subscribers still poll; they see the append a little later.
                    LOG.log(Level.DEBUG, "event store schema " + schemaName + ": could not notify other processes", e);
                }
            }
        }
    }

    private void remember(long xid) {
        synchronized (sentXids) {
            sentXids[sentXidsNext] = xid;
            sentXidsNext = (sentXidsNext + 1) % sentXids.length;
        }
    }

    private boolean sentByThisStore(long xid) {
        synchronized (sentXids) {
            for (long sent : sentXids) {
                if (sent == xid) {
                    return true;
                }
            }
            return false;
        }
    }

    private void closeSender() {
        Connection c = senderConnection;
        senderConnection = null;
        if (c != null) {
            try {
                c.close();
            } catch (SQLException ignored) {
                // A broken connection: nothing to release.
            }
        }
    }

    // ------------------------------------------------------------------ listening

    /**
     * Starts the listener if it is not running, and waits up to {@code timeout} for its first
     * {@code LISTEN}, so that appends committed after this returns are heard. Returns whether it is
     * listening; when not (the server is unreachable), the listener keeps trying in the background.
     */
    boolean ensureListening(Duration timeout) {
        synchronized (listening) {
            if (listener == null && !closed) {
                listener = new Thread(this::listen, "estoria-notify-listener-" + schemaName);
                listener.setDaemon(true);
                listener.start();
            }
        }
        return awaitListening(1, timeout);
    }

    /** Waits until the listener has issued {@code generation} successful {@code LISTEN}s in all. */
    boolean awaitListening(long generation, Duration timeout) {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (listening) {
            while (listeningGeneration < generation && !closed && !standby) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return false;
                }
                try {
                    listening.wait(left);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    return false;
                }
            }
            return listeningGeneration >= generation;
        }
    }

    /** How many times the listener has connected and listened; for tests. */
    long listeningGeneration() {
        synchronized (listening) {
            return listeningGeneration;
        }
    }

    /** How many times notifications from other stores woke the local listeners; for tests. */
    long remoteWakes() {
        return remoteWakes.get();
    }

    /** The backend PID of the listener's connection, 0 while disconnected; for tests. */
    int listenerPid() {
        return listenerPid;
    }

    private void listen() {
        long backoff = 0;
        boolean warned = false;
        while (!closed) {
            Connection c = null;
            try {
                c = listenerSource.get();
                c.setAutoCommit(true);
                try (Statement s = c.createStatement()) {
                    s.execute("LISTEN \"" + channel + '"');
                }
                PGConnection pg = c.unwrap(PGConnection.class);
                listenerPid = pg.getBackendPID();
                standby = false;
                long generation;
                synchronized (listening) {
                    generation = ++listeningGeneration;
                    listening.notifyAll();
                }
                if (warned) {
                    LOG.log(Level.INFO, "event store schema {0}: listening for other processes'' appends again",
                            schemaName);
                    warned = false;
                }
                backoff = 0;
                if (generation > 1) {
                    // Whatever was committed while nobody listened: let subscribers read again. The
                    // first LISTEN needs none: the first registration waited for it before reading.
                    wake.run();
                }
                long lastTraffic = System.nanoTime();
                while (!closed) {
                    PGNotification[] notifications = pg.getNotifications(WAIT_MILLIS);
                    if (notifications != null && notifications.length > 0) {
                        lastTraffic = System.nanoTime();
                        deliver(notifications);
                    } else if (System.nanoTime() - lastTraffic > IDLE_CHECK_NANOS) {
                        // A silent connection may be half-open; a round trip finds out.
                        try (Statement s = c.createStatement()) {
                            s.execute("SELECT 1");
                        }
                        lastTraffic = System.nanoTime();
                    }
                }
            } catch (SQLException | RuntimeException e) {
                listenerPid = 0;
                if (closed) {
                    break;
                }
                if (Sql.isDuringRecovery(e)) {
                    if (!standby) {
                        LOG.log(Level.INFO, "event store schema {0}: the server is a standby (in recovery); it cannot"
                                + " LISTEN, and the primary''s notifications do not reach it, so subscribers find new"
                                + " events by their poll. Tried again every {1} s, in case it is promoted", schemaName,
                                STANDBY_RECHECK_MILLIS / 1000);
                        synchronized (listening) {
                            standby = true;
                            listening.notifyAll();
                        }
                        warned = true; // so that listening after a promotion is said
                    }
                    backoff = STANDBY_RECHECK_MILLIS;
                } else if (!warned) {
                    LOG.log(Level.WARNING, "event store schema " + schemaName + ": lost the connection listening for"
                            + " other processes' appends; reconnecting (subscribers poll meanwhile)", e);
                    warned = true;
                }
                try {
                    // On the monitor close() notifies, so a close does not wait out the backoff.
                    synchronized (listening) {
                        long until = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(backoff);
                        long left;
                        while (!closed && (left = until - System.nanoTime()) > 0) {
                            TimeUnit.NANOSECONDS.timedWait(listening, left);
                        }
                    }
                } catch (InterruptedException ie) {
                    break;
                }
                backoff = Math.min(MAX_BACKOFF_MILLIS, Math.max(50, backoff * 2));
            } finally {
                listenerPid = 0;
                unlisten(c);
                PostgresEventStore.closeQuietly(c);
            }
        }
    }

    /**
     * Stops listening before the connection goes back to a caller's pool: a pooled session that
     * kept listening would collect notifications nobody reads.
     */
    private void unlisten(Connection c) {
        if (c == null) {
            return;
        }
        try {
            if (!c.isClosed()) {
                try (Statement s = c.createStatement()) {
                    s.execute("UNLISTEN *");
                }
            }
        } catch (SQLException ignored) {
            // A broken connection: the pool discards it.
        }
    }

    private void deliver(PGNotification[] notifications) {
        long highest = 0;
        boolean remote = false;
        for (PGNotification n : notifications) {
            long xid;
            try {
                xid = Long.parseLong(n.getParameter());
            } catch (NumberFormatException e) {
                // A foreign or manual NOTIFY on the channel: still a reason to read again.
                remote = true;
                continue;
            }
            if (xid > 0 && sentByThisStore(xid)) {
                continue; // this store's own append; already signalled locally
            }
            remote = true;
            highest = Math.max(highest, xid);
        }
        if (remote) {
            if (highest > 0) {
                remoteCommit.accept(highest);
            }
            remoteWakes.incrementAndGet();
            wake.run();
        }
    }

    @Override
    public void close() {
        closed = true;
        Thread t;
        synchronized (listening) {
            t = listener;
            listening.notifyAll();
        }
        sender.shutdown();
        try {
            if (!sender.awaitTermination(2, TimeUnit.SECONDS)) {
                sender.shutdownNow();
            }
            if (t != null) {
                t.join(2_000);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (!sender.isTerminated()) {
            return;
        }
        closeSender();
    }
}
