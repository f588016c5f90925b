package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Schema creation, migration, versioning, isolation between schemas, and opening by URL. */
@Timeout(60)
class SchemaTest {

    private final TestDatabase db = TestDatabase.get();

    private static PostgresOptions options(String schema) {
        return PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO);
    }

    @Test
    void processesOpeningAtOnceCreateTheSchemaOnce() throws Exception {
        String schema = TestDatabase.randomSchema();
        int openers = 8;
        ExecutorService pool = Executors.newFixedThreadPool(openers);
        CyclicBarrier start = new CyclicBarrier(openers);
        List<Future<PostgresEventStore>> stores = new ArrayList<>();
        try {
            for (int i = 0; i < openers; i++) {
                stores.add(pool.submit(() -> {
                    start.await(30, TimeUnit.SECONDS);
                    return PostgresEventStore.open(db.dataSource(), options(schema));
                }));
            }
            List<Event> written = new ArrayList<>();
            for (Future<PostgresEventStore> f : stores) {
                try (PostgresEventStore store = f.get(30, TimeUnit.SECONDS)) {
                    written.addAll(store.appendStream(TypeId.newV4("opened"), List.of(WritableEvent.of("x", new byte[] {1}))));
                }
            }
            assertThat(scalar("SELECT count(*) || ':' || min(schema_version) FROM \"" + schema + "\".meta")).isEqualTo("1:" + Schema.CURRENT_VERSION);
            try (PostgresEventStore store = PostgresEventStore.open(db.dataSource(), options(schema))) {
                assertThat(store.readAll(ReadAllOptions.defaults()).toList()).hasSize(openers);
            }
        } finally {
            pool.shutdownNow();
            db.dropSchema(schema);
        }
    }

    @Test
    void versionOneSchemaIsMigratedKeepingItsEvents() throws Exception {
        String schema = TestDatabase.randomSchema();
        try {
            TypeId stream = TypeId.newV4("old");
            try (PostgresEventStore store = PostgresEventStore.open(db.dataSource(), options(schema))) {
                store.appendStream(stream, List.of(WritableEvent.of("x", new byte[] {1})));
            }
            // What version 1 left behind: the event tables only.
            execute("DROP TABLE \"" + schema + "\".snapshots, \"" + schema + "\".checkpoints, \"" + schema
                    + "\".leases, \"" + schema + "\".members");
            execute("UPDATE \"" + schema + "\".meta SET schema_version = 1");
            try (PostgresEventStore store = PostgresEventStore.open(db.dataSource(), options(schema))) {
                assertThat(scalar("SELECT schema_version FROM \"" + schema + "\".meta")).isEqualTo("" + Schema.CURRENT_VERSION);
                assertThat(PostgresLeaseStore.of(store).tryAcquire("migrated_v1", 0, "w", Duration.ofMinutes(1))).isPresent();
                assertThat(store.readStream(stream, dev.estoria.eventstore.ReadStreamOptions.defaults()).toList()).hasSize(1);
                PostgresCheckpointStore.of(store).save(dev.estoria.projection.ProjectionId.of("migrated", 1), 3);
                PostgresSnapshotStore.of(store).write(new dev.estoria.snapshot.Snapshot(stream, 1, java.time.Instant.now(),
                        new byte[] {2}, ""));
                assertThat(PostgresSnapshotStore.of(store).read(stream)).isPresent();
            }
        } finally {
            db.dropSchema(schema);
        }
    }

    @Test
    void versionTwoSchemaIsMigratedKeepingItsEventsSnapshotsAndCheckpoints() throws Exception {
        String schema = TestDatabase.randomSchema();
        try {
            TypeId stream = TypeId.newV4("old");
            dev.estoria.projection.ProjectionId projection = dev.estoria.projection.ProjectionId.of("kept", 1);
            try (PostgresEventStore store = PostgresEventStore.open(db.dataSource(), options(schema))) {
                store.appendStream(stream, List.of(WritableEvent.of("x", new byte[] {1})));
                PostgresCheckpointStore.of(store).save(projection, 1);
                PostgresSnapshotStore.of(store).write(new dev.estoria.snapshot.Snapshot(stream, 1, java.time.Instant.now(),
                        new byte[] {2}, ""));
            }
            // What version 2 left behind: everything but the lease tables and the snapshots' event IDs.
            execute("DROP TABLE \"" + schema + "\".leases, \"" + schema + "\".members");
            execute("ALTER TABLE \"" + schema + "\".snapshots DROP COLUMN event_uuid");
            execute("UPDATE \"" + schema + "\".meta SET schema_version = 2");
            try (PostgresEventStore store = PostgresEventStore.open(db.dataSource(), options(schema))) {
                assertThat(scalar("SELECT schema_version FROM \"" + schema + "\".meta")).isEqualTo("" + Schema.CURRENT_VERSION);
                assertThat(store.readStream(stream, dev.estoria.eventstore.ReadStreamOptions.defaults()).toList()).hasSize(1);
                assertThat(PostgresCheckpointStore.of(store).load(projection).orElseThrow().position()).isEqualTo(1);
                assertThat(PostgresSnapshotStore.of(store).read(stream).orElseThrow().data()).containsExactly(2);
                PostgresLeaseStore leases = PostgresLeaseStore.of(store);
                assertThat(leases.tryAcquire("migrated_v1", 4, "w1", Duration.ofMinutes(1))).isPresent();
                assertThat(leases.tryAcquire("migrated_v1", 4, "w2", Duration.ofMinutes(1))).isEmpty();
                assertThat(leases.heartbeat("migrated_v1", "w1", Duration.ofMinutes(1))).containsExactly("w1");
            }
        } finally {
            db.dropSchema(schema);
        }
    }

    @Test
    void versionThreeSchemaIsMigratedKeepingItsSnapshotsThatNameNoEvent() throws Exception {
        String schema = TestDatabase.randomSchema();
        try {
            TypeId stream = TypeId.newV4("old");
            java.time.Instant takenAt = java.time.Instant.parse("2026-11-28T12:00:00.123456Z");
            try (PostgresEventStore store = PostgresEventStore.open(db.dataSource(), options(schema))) {
                store.appendStream(stream, List.of(WritableEvent.of("x", new byte[] {1})));
            }
            // What version 3 left behind: snapshots without the event they were taken at.
            execute("ALTER TABLE \"" + schema + "\".snapshots DROP COLUMN event_uuid");
            execute("UPDATE \"" + schema + "\".meta SET schema_version = 3");
            execute("INSERT INTO \"" + schema + "\".snapshots (aggregate_type, aggregate_uuid, version, taken_at, data,"
                    + " content_type) VALUES ('old', '" + stream.uuid() + "', 1, '" + takenAt + "', '\\x0102', 'c')");
            try (PostgresEventStore store = PostgresEventStore.open(db.dataSource(), options(schema))) {
                assertThat(scalar("SELECT schema_version FROM \"" + schema + "\".meta")).isEqualTo("4");
                PostgresSnapshotStore snapshots = PostgresSnapshotStore.of(store);
                assertThat(snapshots.read(stream)).contains(
                        new dev.estoria.snapshot.Snapshot(stream, 1, takenAt, new byte[] {1, 2}, "c"));
                java.util.UUID eventId = store.readStream(stream, dev.estoria.eventstore.ReadStreamOptions.defaults())
                        .toList().get(0).id().uuid();
                dev.estoria.snapshot.Snapshot named = new dev.estoria.snapshot.Snapshot(stream, 2,
                        takenAt.plusSeconds(1), new byte[] {3}, "c", eventId);
                snapshots.write(named);
                assertThat(snapshots.read(stream)).contains(named);
                assertThat(snapshots.read(stream, 1).orElseThrow().eventId()).isNull();
            }
        } finally {
            db.dropSchema(schema);
        }
    }

    @Test
    void schemaWrittenByNewerVersionIsRefused() throws Exception {
        String schema = TestDatabase.randomSchema();
        try {
            PostgresEventStore.open(db.dataSource(), options(schema)).close();
            execute("UPDATE \"" + schema + "\".meta SET schema_version = " + (Schema.CURRENT_VERSION + 1));
            assertThatThrownBy(() -> PostgresEventStore.open(db.dataSource(), options(schema)))
                    .isInstanceOf(IncompatibleSchemaException.class)
                    .hasMessageContaining(schema)
                    .hasMessageContaining("version " + (Schema.CURRENT_VERSION + 1))
                    .hasMessageContaining("newer");
        } finally {
            db.dropSchema(schema);
        }
    }

    @Test
    void positionModeIsFixedBySchema() {
        String schema = TestDatabase.randomSchema();
        try {
            PostgresEventStore.open(db.dataSource(), options(schema)).close();
            assertThatThrownBy(() -> PostgresEventStore.open(db.dataSource(), options(schema).withStrictPositions(true)))
                    .isInstanceOf(IncompatibleSchemaException.class).hasMessageContaining("watermark");
        } finally {
            db.dropSchema(schema);
        }
    }

    @Test
    void invalidSchemaNamesAreRefused() {
        for (String bad : List.of("", "1abc", "a-b", "a\"b", "x".repeat(64), "pg_catalog", "drop table;")) {
            assertThatThrownBy(() -> PostgresOptions.defaults().withSchema(bad))
                    .as(bad).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("schema");
        }
        assertThat(PostgresOptions.defaults().withSchema("Tenant_42").schema()).isEqualTo("Tenant_42");
    }

    @Test
    void schemasInOneDatabaseAreIndependent() {
        String one = TestDatabase.randomSchema();
        String two = TestDatabase.randomSchema();
        try (PostgresEventStore a = PostgresEventStore.open(db.dataSource(), options(one));
                PostgresEventStore b = PostgresEventStore.open(db.dataSource(), options(two))) {
            TypeId stream = TypeId.newV4("tenant");
            a.appendStream(stream, List.of(WritableEvent.of("x", new byte[] {1})));
            assertThat(a.readStream(stream, ReadStreamOptions.defaults()).toList()).hasSize(1);
            assertThatThrownBy(() -> b.readStream(stream, ReadStreamOptions.defaults()))
                    .isInstanceOf(StreamNotFoundException.class);
            assertThat(b.readAll(ReadAllOptions.defaults()).toList()).isEmpty();
            assertThat(b.listStreams()).isEmpty();
        } finally {
            db.dropSchema(one);
            db.dropSchema(two);
        }
    }

    @Test
    void opensByUrlWithItsOwnPool() {
        String schema = TestDatabase.randomSchema();
        try (PostgresEventStore store = PostgresEventStore.open(db.jdbcUrl, options(schema))) {
            TypeId stream = TypeId.newV4("owned");
            List<Event> written = store.appendStream(stream, List.of(WritableEvent.of("x", new byte[] {1, 2})
                    .withMetadata(Map.of("k", "v"))));
            assertThat(store.readStream(stream, ReadStreamOptions.defaults()).toList()).isEqualTo(written);
            assertThat(store.readAll(ReadAllOptions.defaults()).toList()).isEqualTo(written);
        } finally {
            db.dropSchema(schema);
        }
    }

    @Test
    void unreachableServerFailsWithStoreUnavailable() {
        PostgresOptions quick = options("estoria").withConnectionTimeout(Duration.ofMillis(500));
        assertThatThrownBy(() -> PostgresEventStore.open("jdbc:postgresql://127.0.0.1:1/none?user=nobody", quick))
                .isInstanceOf(StoreUnavailableException.class);
    }

    @Test
    void closedStoreRefusesCalls() {
        PostgresEventStore store = db.newStore();
        store.close();
        store.close();
        assertThatThrownBy(() -> store.appendStream(TypeId.newV4("x"), List.of(WritableEvent.of("x", new byte[0]))))
                .isInstanceOf(dev.estoria.eventstore.EventStoreException.class).hasMessageContaining("closed");
        db.dropSchema(store.options().schema());
    }

    @Test
    void textThatPostgresCannotStoreIsRefusedBeforeWriting() {
        PostgresEventStore store = db.newStore();
        try {
            TypeId stream = TypeId.newV4("bad");
            assertThatThrownBy(() -> store.appendStream(stream, List.of(WritableEvent.of("x", new byte[0])
                    .withContentType("text/\u0000plain")))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("U+0000");
            assertThatThrownBy(() -> store.appendStream(stream, List.of(WritableEvent.of("x", new byte[0])
                    .withMetadata("k", "broken \uD800 surrogate")))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("surrogate");
            assertThatThrownBy(() -> store.appendStream(stream, List.of(WritableEvent.of("x\u0000y", new byte[0]))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("event type")
                    .hasMessageContaining("U+0000");
            assertThatThrownBy(() -> store.appendStream(TypeId.newV4("b\u0000d"), List.of(WritableEvent.of("x", new byte[0]))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("stream type")
                    .hasMessageContaining("U+0000");
            assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()))
                    .isInstanceOf(StreamNotFoundException.class);
            assertThat(store.readAll(dev.estoria.eventstore.ReadAllOptions.defaults()).toList()).isEmpty();
        } finally {
            db.discard(store);
        }
    }

    /**
     * The driver sends an unpaired surrogate as '?', so a lookup by such a type would find the
     * stream whose type has '?' there; and PostgreSQL refuses U+0000 in a query with an error. No
     * stream of either kind can exist, so reads find nothing and deletes find no stream.
     */
    @Test
    void typesPostgresCannotStoreMatchNothing() {
        PostgresEventStore store = db.newStore();
        try {
            UUID uuid = UUID.randomUUID();
            TypeId stored = new TypeId("order?", uuid);
            store.appendStream(stored, List.of(WritableEvent.of("paid?", new byte[] {1})));
            for (String type : List.of("order\uD800", "order\u0000")) {
                TypeId alias = new TypeId(type, uuid);
                assertThatThrownBy(() -> store.readStream(alias, ReadStreamOptions.defaults()))
                        .as(type).isInstanceOf(StreamNotFoundException.class);
                assertThatThrownBy(() -> store.deleteStream(alias, DeleteStreamOptions.wholeStream()))
                        .as(type).isInstanceOf(StreamNotFoundException.class);
                assertThat(store.readAll(ReadAllOptions.defaults().filter(EventFilter.streamTypes(type))).toList())
                        .as(type).isEmpty();
            }
            assertThat(store.readAll(ReadAllOptions.defaults().filter(EventFilter.eventTypes("paid\uD800")))
                    .toList()).isEmpty();
            assertThat(store.readAll(ReadAllOptions.defaults().filter(EventFilter.eventTypes("paid\u0000", "paid?")))
                    .toList()).hasSize(1);
            assertThat(store.readStream(stored, ReadStreamOptions.defaults()).toList()).hasSize(1);
        } finally {
            db.discard(store);
        }
    }

    @Test
    void aStreamTypeTooLongToIndexIsRefusedBeforeWriting() {
        PostgresEventStore store = db.newStore();
        try {
            // Random letters, which compression cannot shrink below the index's limit.
            java.util.Random random = new java.util.Random(7);
            StringBuilder type = new StringBuilder();
            for (int i = 0; i < MetadataCodec.MAX_TYPE_BYTES + 1; i++) {
                type.append((char) ('a' + random.nextInt(26)));
            }
            TypeId stream = new TypeId(type.toString(), UUID.randomUUID());
            assertThatThrownBy(() -> store.appendStream(stream, List.of(WritableEvent.of("x", new byte[0]))))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("1025 bytes")
                    .hasMessageContaining("at most 1024");
            assertThat(store.listStreams()).isEmpty();

            TypeId longest = new TypeId(type.substring(1), UUID.randomUUID());
            store.appendStream(longest, List.of(WritableEvent.of("x", new byte[0])));
            assertThat(store.readStream(longest, ReadStreamOptions.defaults()).toList()).hasSize(1);
        } finally {
            db.discard(store);
        }
    }

    private void execute(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute(sql);
        }
    }

    private String scalar(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
