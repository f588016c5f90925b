package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.projection.ProjectionId;
import dev.estoria.storetest.CheckpointStoreContract;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The kit's CheckpointStoreContract against PostgreSQL, plus the server clock and strictly increasing updatedAt. */
class PostgresCheckpointStoreTest extends CheckpointStoreContract<PostgresCheckpointStore> {

    private PostgresEventStore events;

    @Override
    protected PostgresCheckpointStore createStore() {
        events = TestDatabase.get().newStore();
        return PostgresCheckpointStore.of(events);
    }

    @AfterEach
    void dropSchema() {
        TestDatabase.get().discard(events);
    }

    @Test
    void updatedAtStrictlyIncreasesEvenWithinOneMicrosecond() {
        ProjectionId id = ProjectionId.of("tight_loop", 1);
        Instant previous = Instant.MIN;
        for (int i = 0; i < 300; i++) {
            store.save(id, i % 3);
            Instant now = store.load(id).orElseThrow().updatedAt();
            assertThat(now).isAfter(previous);
            previous = now;
        }
    }

    @Test
    void updatedAtStaysIncreasingWhenTheStoredOneIsAhead() throws Exception {
        ProjectionId id = ProjectionId.of("clock_ahead", 1);
        store.save(id, 1);
        // As if the server clock had stepped back an hour since the last save.
        try (Connection c = TestDatabase.get().connect(); Statement s = c.createStatement()) {
            s.executeUpdate("UPDATE \"" + events.options().schema() + "\".checkpoints SET updated_at = clock_timestamp()"
                    + " + interval '1 hour'");
        }
        Instant ahead = store.load(id).orElseThrow().updatedAt();
        store.save(id, 2);
        assertThat(store.load(id).orElseThrow().updatedAt()).isEqualTo(ahead.plusNanos(1000));
    }

    @Test
    void updatedAtComesFromTheServerClock() throws Exception {
        ProjectionId id = ProjectionId.of("server_clock", 1);
        store.save(id, 5);
        Instant saved = store.load(id).orElseThrow().updatedAt();
        try (Connection c = TestDatabase.get().connect(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT clock_timestamp()")) {
            rs.next();
            Instant server = rs.getObject(1, OffsetDateTime.class).toInstant();
            assertThat(Duration.between(saved, server)).isBetween(Duration.ZERO, Duration.ofSeconds(10));
        }
    }
}
