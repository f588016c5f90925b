package dev.estoria.sqlite;

import java.time.Duration;
import java.util.Objects;

/**
 * How a {@link SqliteEventStore} opens and uses its file.
 *
 * <p>Start from {@link #defaults()} and change one setting at a time with the {@code with...}
 * methods; every instance is immutable.
 *
 * @param durability when an append counts as written; {@link Durability#FULL} by default
 * @param busyTimeout how long a statement waits for a lock held by another process on the same
 *     file before failing with an {@link dev.estoria.eventstore.EventStoreException}; a write queued
 *     while the store was already kept from the lock has only what is left of its timeout, counted
 *     from its call. 5 seconds by default; zero fails at once; at most {@link Integer#MAX_VALUE}
 *     milliseconds
 * @param readConnections how many idle read connections the store keeps for reuse; more may be
 *     open at once while many reads are in progress; 4 by default; at least 1
 * @param integrityCheckOnOpen whether {@link SqliteEventStore#open} reads the whole file with
 *     SQLite's {@code PRAGMA quick_check} and refuses it if any page is damaged. Off by default,
 *     because the check reads every page and so takes time proportional to the file's size; the
 *     default open only checks the header, the schema and the tables' roots.
 * @param checkpointPages how many pages the write-ahead log may hold before the committing writer
 *     copies them into the database file (SQLite's {@code wal_autocheckpoint}); {@value
 *     #DEFAULT_CHECKPOINT_PAGES} by default, about 40 MiB with SQLite's 4 KiB pages, where SQLite's
 *     own default is 1,000. The log file stays at about that size; once it outgrows twice that (at
 *     least 1 MiB), while reads keep checkpoints from finishing, the store checkpoints it with
 *     {@code TRUNCATE} and empties it (see {@link SqliteEventStore}); at least 1
 */
public record SqliteOptions(
        Durability durability, Duration busyTimeout, int readConnections, boolean integrityCheckOnOpen,
        int checkpointPages) {

    /**
     * Ten times SQLite's default. Under concurrent appends a group dirties the same index pages
     * (each stream's last leaf) again and again, and a checkpoint copies each page once however
     * often the log holds it, so rarer checkpoints copy fewer pages per append; a checkpoint also
     * runs inside the commit that crosses the limit, holding up that whole group. Much larger logs
     * gained little more and slow reads, which look pages up in the log's index first.
     */
    public static final int DEFAULT_CHECKPOINT_PAGES = 10_000;

    private static final SqliteOptions DEFAULTS =
            new SqliteOptions(Durability.FULL, Duration.ofSeconds(5), 4, false, DEFAULT_CHECKPOINT_PAGES);

    /**
     * When an append is acknowledged relative to the disk. The store always runs SQLite in WAL mode;
     * this chooses its {@code synchronous} setting.
     */
    public enum Durability {
        /**
         * An append returns only once its transaction is durable: the write-ahead log is flushed to
         * stable storage ({@code fsync}) at every commit ({@code synchronous=FULL}). Nothing
         * acknowledged is lost, whether the process, the operating system or the power fails.
         * Group commit shares one flush among the appends that arrive together.
         */
        FULL,
        /**
         * An append returns once its transaction is committed to the write-ahead log in the
         * operating system's cache; the log is flushed only when it is checkpointed into the
         * database ({@code synchronous=NORMAL}). A crash of the process loses nothing, because the
         * operating system still writes the file. A power loss or an operating system crash may
         * lose the most recent acknowledged appends (those committed since the last checkpoint);
         * it never corrupts the file, and the appends that survive are whole and in order: the
         * store reopens as it was after some earlier commit. How much the log holds between
         * checkpoints is {@link SqliteOptions#checkpointPages()}.
         */
        NORMAL
    }

    /**
     * @throws NullPointerException if a component is null
     * @throws IllegalArgumentException if the busy timeout is negative or too long, or {@code
     *     readConnections} or {@code checkpointPages} is below 1
     */
    public SqliteOptions {
        Objects.requireNonNull(durability, "durability");
        Objects.requireNonNull(busyTimeout, "busyTimeout");
        if (busyTimeout.isNegative()) {
            throw new IllegalArgumentException("busyTimeout must not be negative, was " + busyTimeout);
        }
        if (busyTimeout.compareTo(Duration.ofMillis(Integer.MAX_VALUE)) > 0) {
            throw new IllegalArgumentException("busyTimeout must be at most " + Integer.MAX_VALUE + " ms, was " + busyTimeout);
        }
        if (readConnections < 1) {
            throw new IllegalArgumentException("readConnections must be at least 1, was " + readConnections);
        }
        if (checkpointPages < 1) {
            throw new IllegalArgumentException("checkpointPages must be at least 1, was " + checkpointPages);
        }
    }

    /**
     * Full durability, a 5 second busy timeout, 4 pooled read connections, no full check on open,
     * a checkpoint every {@value #DEFAULT_CHECKPOINT_PAGES} pages of log.
     */
    public static SqliteOptions defaults() {
        return DEFAULTS;
    }

    /** Returns a copy with the given durability. */
    public SqliteOptions withDurability(Durability newDurability) {
        return new SqliteOptions(newDurability, busyTimeout, readConnections, integrityCheckOnOpen, checkpointPages);
    }

    /** Returns a copy with the given busy timeout. */
    public SqliteOptions withBusyTimeout(Duration newBusyTimeout) {
        return new SqliteOptions(durability, newBusyTimeout, readConnections, integrityCheckOnOpen, checkpointPages);
    }

    /** Returns a copy that keeps the given number of idle read connections. */
    public SqliteOptions withReadConnections(int newReadConnections) {
        return new SqliteOptions(durability, busyTimeout, newReadConnections, integrityCheckOnOpen, checkpointPages);
    }

    /** Returns a copy that does, or does not, check every page of the file when opening it. */
    public SqliteOptions withIntegrityCheckOnOpen(boolean check) {
        return new SqliteOptions(durability, busyTimeout, readConnections, check, checkpointPages);
    }

    /** Returns a copy that checkpoints the write-ahead log once it holds the given number of pages. */
    public SqliteOptions withCheckpointPages(int pages) {
        return new SqliteOptions(durability, busyTimeout, readConnections, integrityCheckOnOpen, pages);
    }
}
