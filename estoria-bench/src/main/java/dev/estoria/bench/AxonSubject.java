package dev.estoria.bench;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.stream.Stream;
import org.axonframework.common.transaction.NoTransactionManager;
import org.axonframework.eventhandling.DomainEventMessage;
import org.axonframework.eventhandling.GenericDomainEventMessage;
import org.axonframework.eventhandling.TrackedEventMessage;
import org.axonframework.eventsourcing.eventstore.jdbc.JdbcEventStorageEngine;
import org.axonframework.eventsourcing.eventstore.jdbc.PostgresEventTableFactory;
import org.axonframework.messaging.MetaData;
import org.axonframework.serialization.Serializer;
import org.axonframework.serialization.json.JacksonSerializer;

/**
 * Axon Framework 4's JDBC event storage engine, the peer the PostgreSQL benchmark compares against:
 * its own schema ({@code createSchema(PostgresEventTableFactory)}) in a fresh PostgreSQL schema, a
 * Jackson serializer, no transaction manager (each append is one JDBC batch on an auto-commit
 * connection from a HikariCP pool). Its concurrency check is the unique key on (aggregate
 * identifier, sequence number): each writer appends to its own aggregate with the next sequence
 * numbers.
 */
final class AxonSubject implements AppendSubject {

    /** The event payload; about as large as the other subjects' JSON once serialized. */
    public record Payload(String account, long amount, String currency, String note) {
    }

    private static final Payload PAYLOAD = new Payload("0123456789abcdef", 12345, "EUR",
            "benchmark payload of about one hundred bytes");
    private static final MetaData METADATA = MetaData.with("source", "bench");

    private final HikariDataSource pool;
    private final JdbcEventStorageEngine engine;
    private final Runnable cleanup;

    private AxonSubject(HikariDataSource pool, JdbcEventStorageEngine engine, Runnable cleanup) {
        this.pool = pool;
        this.engine = engine;
        this.cleanup = cleanup;
    }

    /** Creates {@code schema}, Axon's tables in it, and a pool of {@code connections}. */
    static AxonSubject create(String url, String schema, int connections, Runnable cleanup) throws SQLException {
        try (Connection c = java.sql.DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("CREATE SCHEMA \"" + schema + '"');
        }
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(connections);
        config.setMinimumIdle(0);
        config.setPoolName("bench-axon-" + schema);
        config.addDataSourceProperty("currentSchema", schema);
        HikariDataSource pool = new HikariDataSource(config);
        Serializer serializer = JacksonSerializer.defaultSerializer();
        JdbcEventStorageEngine engine = JdbcEventStorageEngine.builder()
                .connectionProvider(pool::getConnection)
                .transactionManager(NoTransactionManager.INSTANCE)
                .eventSerializer(serializer)
                .snapshotSerializer(serializer)
                .build();
        engine.createSchema(PostgresEventTableFactory.INSTANCE);
        return new AxonSubject(pool, engine, cleanup);
    }

    @Override
    public Writer writer(int index) {
        String aggregate = UUID.randomUUID().toString();
        return (expectedVersion, events) -> engine.appendEvents(messages(aggregate, expectedVersion, events));
    }

    /** Appends {@code count} events to a new aggregate in one append. */
    void appendBatch(int count) {
        engine.appendEvents(messages(UUID.randomUUID().toString(), 0, count));
    }

    private static List<DomainEventMessage<Payload>> messages(String aggregate, long firstSequence, int count) {
        List<DomainEventMessage<Payload>> messages = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            messages.add(new GenericDomainEventMessage<>("BenchAggregate", aggregate, firstSequence + i, PAYLOAD,
                    METADATA));
        }
        return messages;
    }

    /** Reads the whole event log with Axon's tracking reader; returns how many events it read. */
    long readAll() {
        long count = 0;
        long checksum = 0;
        try (Stream<? extends TrackedEventMessage<?>> events = engine.readEvents(null, false)) {
            for (var iterator = events.iterator(); iterator.hasNext(); ) {
                TrackedEventMessage<?> event = iterator.next();
                checksum += event.getIdentifier().length();
                count++;
            }
        }
        ReadRun.sink(checksum);
        return count;
    }

    @Override
    public void close() {
        try {
            pool.close();
        } finally {
            cleanup.run();
        }
    }
}
