package dev.estoria.postgres;

import java.time.Duration;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Options of a {@link PostgresEventStore}. Immutable; start from {@link #defaults()} (or {@link
 * #strict()}) and change one option at a time with the {@code with...} methods.
 *
 * @param schema the PostgreSQL schema holding the store's tables ({@value #DEFAULT_SCHEMA} by
 *     default); an unquoted-style identifier ({@code [A-Za-z_][A-Za-z0-9_]*}, at most 63 bytes),
 *     always double-quoted in SQL, so several stores or tenants can share one database
 * @param strictPositions whether the schema uses the gapless single-allocator position mode (see
 *     {@link #strict()}); fixed when the schema is created, and an open with the other mode is
 *     refused
 * @param connectionTimeout how long to wait for a connection: the pool's acquisition timeout and,
 *     for a pool the store owns, the TCP connect timeout
 * @param statementTimeout the server-side {@code statement_timeout} (and client socket timeout) of
 *     connections in a pool the store owns, from 1 ms to 2,147,478 s (about 24.8 days); set per
 *     transaction on a caller's pool; also bounds how
 *     long an append waits for its answer (see {@link #appendTimeout()}) and for a row lock (see
 *     {@link #lockTimeout()})
 * @param poolSize the maximum number of connections of a pool the store owns; each open iterator
 *     holds one until it is exhausted or closed
 * @param writerLanes how many writer threads commit appends (1 by default); streams are assigned
 *     to lanes by hash, so appends to one stream keep their order and a lane never waits on another
 *     lane's stream locks. One lane makes the largest groups, hence the fewest transactions: on a
 *     2-core machine it gave 25 % more appends per second than two at 16 writers, and the same at
 *     64. More lanes keep more transactions in flight, which pays when the server has cores to spare
 * @param maxGroupAppends the most appends one group-commit transaction takes from its queue
 * @param readSettleTimeout how long {@link PostgresEventStore#readAll} waits, at most, for this
 *     store's own acknowledged appends to pass the visibility watermark before reading (so a
 *     process reads its own writes); {@link Duration#ZERO} reads at once
 * @param feedCheckInterval how often a background check logs whether the global feed is held back
 *     (see {@link PostgresEventStore#health()}); {@link Duration#ZERO} disables the check
 * @param feedLagThreshold how old the oldest open writing transaction of the cluster must be before
 *     the feed counts as held back
 * @param crossProcessNotifications whether appends are announced to other processes, and theirs
 *     heard, through {@code LISTEN/NOTIFY} (on by default); see {@link
 *     PostgresEventStore#onAppend(Runnable)}
 * @param maxEventBytes the most bytes one event may have, counting its payload, its encoded
 *     metadata, its event type and its content type: from 1 to {@link
 *     PostgresEventStore#MAX_EVENT_BYTES} (the default). A larger event is refused on append with
 *     {@link IllegalArgumentException}, and nothing of the append is written
 */
public record PostgresOptions(
        String schema,
        boolean strictPositions,
        Duration connectionTimeout,
        Duration statementTimeout,
        int poolSize,
        int writerLanes,
        int maxGroupAppends,
        Duration readSettleTimeout,
        Duration feedCheckInterval,
        Duration feedLagThreshold,
        boolean crossProcessNotifications,
        int maxEventBytes) {

    /** The default schema name. */
    public static final String DEFAULT_SCHEMA = "estoria";

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");
    private static final int MAX_IDENTIFIER_BYTES = 63;

    /** The longest statement timeout: PostgreSQL's limit, less the 5 s the socket timeout adds. */
    static final Duration MAX_STATEMENT_TIMEOUT = Duration.ofSeconds(Integer.MAX_VALUE / 1000 - 5);

    private static final PostgresOptions DEFAULTS = new PostgresOptions(DEFAULT_SCHEMA, false,
            Duration.ofSeconds(5), Duration.ofSeconds(30), 10, 1, 64, Duration.ofMillis(250),
            Duration.ofSeconds(10), Duration.ofSeconds(5), true, PostgresEventStore.MAX_EVENT_BYTES);

    /**
     * @throws IllegalArgumentException naming the option, if a value is out of range or the schema
     *     name is not a valid identifier
     * @throws NullPointerException if a component is null
     */
    public PostgresOptions {
        validateSchemaName(schema);
        requirePositive("connectionTimeout", connectionTimeout);
        requirePositive("statementTimeout", statementTimeout);
        // PostgreSQL takes it in whole milliseconds, 0 meaning none, up to 2^31 - 1; the socket
        // timeout, 5 s longer, must fit the driver's int milliseconds too.
        if (statementTimeout.compareTo(Duration.ofMillis(1)) < 0 || statementTimeout.compareTo(MAX_STATEMENT_TIMEOUT) > 0) {
            throw new IllegalArgumentException("statementTimeout must be between 1 ms and " + MAX_STATEMENT_TIMEOUT
                    + " (PostgreSQL's statement_timeout is whole milliseconds up to 2^31 - 1, and under 1 ms it"
                    + " would be 0, no timeout at all), was " + statementTimeout);
        }
        requireNonNegative("readSettleTimeout", readSettleTimeout);
        requireNonNegative("feedCheckInterval", feedCheckInterval);
        requireNonNegative("feedLagThreshold", feedLagThreshold);
        if (poolSize < 1) {
            throw new IllegalArgumentException("poolSize must be >= 1, was " + poolSize);
        }
        if (writerLanes < 1) {
            throw new IllegalArgumentException("writerLanes must be >= 1, was " + writerLanes);
        }
        if (maxGroupAppends < 1) {
            throw new IllegalArgumentException("maxGroupAppends must be >= 1, was " + maxGroupAppends);
        }
        if (maxEventBytes < 1 || maxEventBytes > PostgresEventStore.MAX_EVENT_BYTES) {
            throw new IllegalArgumentException("maxEventBytes must be between 1 and " + PostgresEventStore.MAX_EVENT_BYTES
                    + " (see PostgresEventStore.MAX_EVENT_BYTES), was " + maxEventBytes);
        }
    }

    /** The options as they were before {@code maxEventBytes}: with the largest events the store can hold. */
    public PostgresOptions(String schema, boolean strictPositions, Duration connectionTimeout,
            Duration statementTimeout, int poolSize, int writerLanes, int maxGroupAppends,
            Duration readSettleTimeout, Duration feedCheckInterval, Duration feedLagThreshold,
            boolean crossProcessNotifications) {
        this(schema, strictPositions, connectionTimeout, statementTimeout, poolSize, writerLanes, maxGroupAppends,
                readSettleTimeout, feedCheckInterval, feedLagThreshold, crossProcessNotifications,
                PostgresEventStore.MAX_EVENT_BYTES);
    }

    /** Watermark positions, schema {@value #DEFAULT_SCHEMA}, 5 s connection and 30 s statement timeouts. */
    public static PostgresOptions defaults() {
        return DEFAULTS;
    }

    /**
     * The defaults with strict, gapless positions: one allocator row, locked from an append's
     * reservation until its commit, hands out dense positions in commit order. <b>Cost:</b> every
     * append transaction of every process writing to the schema waits for that row, so writers are
     * serialised through one WAL flush each; group commit within a process softens this, but
     * throughput across processes does not grow with writers. Choose it only when dense numbering
     * matters more than write throughput.
     */
    public static PostgresOptions strict() {
        return DEFAULTS.withStrictPositions(true);
    }

    /**
     * Checks a schema name.
     *
     * @throws IllegalArgumentException if it is not an identifier of at most 63 bytes, or is
     *     reserved by PostgreSQL (starting with {@code pg_}, or {@code information_schema})
     */
    public static void validateSchemaName(String schema) {
        Objects.requireNonNull(schema, "schema");
        if (!IDENTIFIER.matcher(schema).matches() || schema.length() > MAX_IDENTIFIER_BYTES) {
            throw new IllegalArgumentException("schema must match [A-Za-z_][A-Za-z0-9_]* and be at most "
                    + MAX_IDENTIFIER_BYTES + " characters, was \"" + schema + "\"");
        }
        if (schema.toLowerCase(java.util.Locale.ROOT).startsWith("pg_")) {
            throw new IllegalArgumentException("schema names starting with pg_ are reserved by PostgreSQL, was \""
                    + schema + "\"");
        }
        if (schema.equals("information_schema")) {
            // pg_dump leaves this schema out of every dump: a store there would not survive a backup.
            throw new IllegalArgumentException("schema information_schema is reserved by PostgreSQL (pg_dump leaves"
                    + " it out of every dump), was \"" + schema + "\"");
        }
    }

    /**
     * How long a write waits for a row lock another transaction holds (PostgreSQL's {@code
     * lock_timeout}): half the statement timeout. An append whose stream's row stays locked that
     * long (by another process's transaction left open, say) then fails alone, saying so, while the
     * other appends of its group commit; without it the wait would run into the statement timeout,
     * which fails the whole group as if the server were unavailable.
     */
    public Duration lockTimeout() {
        // At least 1 ms: PostgreSQL reads 0 as no timeout at all.
        return statementTimeout.dividedBy(2).compareTo(Duration.ofMillis(1)) < 0
                ? Duration.ofMillis(1) : statementTimeout.dividedBy(2);
    }

    /** How long an append waits for its answer before it reports an unknown outcome. */
    public Duration appendTimeout() {
        return connectionTimeout.plus(statementTimeout.multipliedBy(3));
    }

    public PostgresOptions withSchema(String newSchema) {
        return new PostgresOptions(newSchema, strictPositions, connectionTimeout, statementTimeout, poolSize,
                writerLanes, maxGroupAppends, readSettleTimeout, feedCheckInterval, feedLagThreshold, crossProcessNotifications,
                maxEventBytes);
    }

    public PostgresOptions withStrictPositions(boolean strict) {
        return new PostgresOptions(schema, strict, connectionTimeout, statementTimeout, poolSize,
                writerLanes, maxGroupAppends, readSettleTimeout, feedCheckInterval, feedLagThreshold, crossProcessNotifications,
                maxEventBytes);
    }

    public PostgresOptions withConnectionTimeout(Duration timeout) {
        return new PostgresOptions(schema, strictPositions, timeout, statementTimeout, poolSize,
                writerLanes, maxGroupAppends, readSettleTimeout, feedCheckInterval, feedLagThreshold, crossProcessNotifications,
                maxEventBytes);
    }

    public PostgresOptions withStatementTimeout(Duration timeout) {
        return new PostgresOptions(schema, strictPositions, connectionTimeout, timeout, poolSize,
                writerLanes, maxGroupAppends, readSettleTimeout, feedCheckInterval, feedLagThreshold, crossProcessNotifications,
                maxEventBytes);
    }

    public PostgresOptions withPoolSize(int size) {
        return new PostgresOptions(schema, strictPositions, connectionTimeout, statementTimeout, size,
                writerLanes, maxGroupAppends, readSettleTimeout, feedCheckInterval, feedLagThreshold, crossProcessNotifications,
                maxEventBytes);
    }

    public PostgresOptions withWriterLanes(int lanes) {
        return new PostgresOptions(schema, strictPositions, connectionTimeout, statementTimeout, poolSize,
                lanes, maxGroupAppends, readSettleTimeout, feedCheckInterval, feedLagThreshold, crossProcessNotifications,
                maxEventBytes);
    }

    public PostgresOptions withMaxGroupAppends(int max) {
        return new PostgresOptions(schema, strictPositions, connectionTimeout, statementTimeout, poolSize,
                writerLanes, max, readSettleTimeout, feedCheckInterval, feedLagThreshold, crossProcessNotifications,
                maxEventBytes);
    }

    public PostgresOptions withReadSettleTimeout(Duration timeout) {
        return new PostgresOptions(schema, strictPositions, connectionTimeout, statementTimeout, poolSize,
                writerLanes, maxGroupAppends, timeout, feedCheckInterval, feedLagThreshold, crossProcessNotifications,
                maxEventBytes);
    }

    public PostgresOptions withFeedCheckInterval(Duration interval) {
        return new PostgresOptions(schema, strictPositions, connectionTimeout, statementTimeout, poolSize,
                writerLanes, maxGroupAppends, readSettleTimeout, interval, feedLagThreshold, crossProcessNotifications,
                maxEventBytes);
    }

    public PostgresOptions withFeedLagThreshold(Duration threshold) {
        return new PostgresOptions(schema, strictPositions, connectionTimeout, statementTimeout, poolSize,
                writerLanes, maxGroupAppends, readSettleTimeout, feedCheckInterval, threshold, crossProcessNotifications,
                maxEventBytes);
    }

    public PostgresOptions withCrossProcessNotifications(boolean enabled) {
        return new PostgresOptions(schema, strictPositions, connectionTimeout, statementTimeout, poolSize,
                writerLanes, maxGroupAppends, readSettleTimeout, feedCheckInterval, feedLagThreshold, enabled,
                maxEventBytes);
    }

    public PostgresOptions withMaxEventBytes(int max) {
        return new PostgresOptions(schema, strictPositions, connectionTimeout, statementTimeout, poolSize,
                writerLanes, maxGroupAppends, readSettleTimeout, feedCheckInterval, feedLagThreshold,
                crossProcessNotifications, max);
    }

    private static void requirePositive(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative() || d.isZero()) {
            throw new IllegalArgumentException(name + " must be positive, was " + d);
        }
    }

    private static void requireNonNegative(String name, Duration d) {
        Objects.requireNonNull(d, name);
        if (d.isNegative()) {
            throw new IllegalArgumentException(name + " must not be negative, was " + d);
        }
    }
}
