package dev.estoria.postgres;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether the global feed ({@link PostgresEventStore#readAll}) is held back, and by what.
 *
 * <p>Global reads only return events of transactions older than the oldest transaction still
 * running <em>anywhere in the PostgreSQL cluster</em> that holds a transaction ID (it has written,
 * or asked for its ID). Such a transaction, in any database, delays the feed until it ends; it
 * never makes a reader skip an event. This record names the oldest such transaction.
 *
 * <p>On a hot standby the primary's transactions, which hold the feed back there as well, cannot
 * be seen: {@link #standby()} says so, {@code oldest} is empty and {@code heldBack} false; ask a
 * store on the primary.
 *
 * @param heldBack whether the oldest writing transaction is at least {@code threshold} old
 * @param checkedAt when the check ran (server clock)
 * @param threshold the age from which a transaction counts as holding the feed back
 * @param oldest the oldest open transaction holding a transaction ID, if there is one
 * @param standby whether the server is a hot standby (in recovery), where the transactions that
 *     hold the feed back cannot be seen
 */
public record FeedHealth(boolean heldBack, Instant checkedAt, Duration threshold, Optional<Holder> oldest,
        boolean standby) {

    public FeedHealth {
        Objects.requireNonNull(checkedAt, "checkedAt");
        Objects.requireNonNull(threshold, "threshold");
        Objects.requireNonNull(oldest, "oldest");
    }

    /** The health as it was before {@code standby}: on a primary. */
    public FeedHealth(boolean heldBack, Instant checkedAt, Duration threshold, Optional<Holder> oldest) {
        this(heldBack, checkedAt, threshold, oldest, false);
    }

    /**
     * An open transaction that holds a transaction ID.
     *
     * @param pid the backend process ID ({@code pg_terminate_backend} takes it); 0 for a prepared
     *     (two-phase) transaction, which has no backend
     * @param database the database the session is connected to
     * @param user the session's user
     * @param applicationName the session's {@code application_name}; the global ID for a prepared
     *     transaction
     * @param state the session's state, such as {@code idle in transaction}; {@code prepared} for a
     *     prepared transaction
     * @param query the session's current or last query, when the caller may see it
     * @param transactionStart when the transaction began
     * @param age how long the transaction has been open
     * @param xidAge how many transaction IDs were assigned since this one
     */
    public record Holder(int pid, String database, String user, String applicationName, String state,
            String query, Instant transactionStart, Duration age, long xidAge) {
    }

    /** A one-line description for logs. */
    public String describe() {
        if (standby) {
            return "the server is a standby: the primary's open transactions, which hold the global feed back here"
                    + " too, cannot be seen from it; ask a store on the primary";
        }
        if (oldest.isEmpty()) {
            return "global feed is not held back: no open writing transaction";
        }
        Holder h = oldest.get();
        return (heldBack ? "global feed is held back" : "global feed is current")
                + " by transaction of backend pid " + h.pid() + " (database " + h.database() + ", user " + h.user()
                + ", application \"" + h.applicationName() + "\", state " + h.state() + ") open since "
                + h.transactionStart() + " (" + h.age().toMillis() + " ms, " + h.xidAge() + " xids ago); query: "
                + abbreviate(h.query());
    }

    private static String abbreviate(String query) {
        if (query == null) {
            return "<not visible>";
        }
        String flat = query.replaceAll("\\s+", " ").trim();
        return flat.length() > 200 ? flat.substring(0, 200) + "..." : flat;
    }
}
