package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamAppend;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.Checkpoint;
import dev.estoria.projection.ProjectionId;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.subscription.Subscription;
import dev.estoria.subscription.SubscriptionOptions;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Stores opened by roles that may not write: dashboards, command lines and read-side services are
 * commonly given a role with {@code USAGE} on the schema and {@code SELECT} on its tables. Such a
 * store opens and serves every read, refuses writes with {@link PermissionDeniedException}, and
 * never writes anything itself; the position-base check still runs whenever a writer opens.
 */
@Timeout(90)
class ReadOnlyRoleTest {

    private final TestDatabase db = TestDatabase.get();
    private final String schema = TestDatabase.randomSchema();
    private final List<String> roles = new ArrayList<>();

    private static PostgresOptions options(String schema) {
        return PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO);
    }

    @AfterEach
    void dropSchemaAndRoles() throws Exception {
        db.dropSchema(schema);
        for (String role : roles) {
            execute("DROP OWNED BY \"" + role + "\"");
            execute("DROP ROLE IF EXISTS \"" + role + "\"");
        }
    }

    /** A login role with {@code USAGE} on the schema and {@code SELECT} on all its tables, and nothing more. */
    private String readerRole() throws Exception {
        String role = newRole();
        execute("GRANT USAGE ON SCHEMA \"" + schema + "\" TO \"" + role + "\"");
        execute("GRANT SELECT ON ALL TABLES IN SCHEMA \"" + schema + "\" TO \"" + role + "\"");
        return role;
    }

    private String newRole() throws Exception {
        String role = "r_" + TestDatabase.randomSchema();
        execute("CREATE ROLE \"" + role + "\" LOGIN");
        roles.add(role);
        return role;
    }

    private String urlOf(String role) {
        TestDatabase.Endpoint e = db.endpoint();
        return "jdbc:postgresql://" + e.host() + ":" + e.port() + "/" + e.database() + "?user=" + role;
    }

    @Test
    void aRoleThatMayOnlyReadOpensTheStoreAndServesEveryRead() throws Exception {
        TypeId kept = TypeId.newV4("kept");
        TypeId other = TypeId.newV4("other");
        List<Event> written = new ArrayList<>();
        try (PostgresEventStore writer = PostgresEventStore.open(db.dataSource(), options(schema))) {
            written.addAll(writer.appendStream(kept, List.of(WritableEvent.of("a", new byte[] {1}),
                    WritableEvent.of("b", new byte[] {2}))));
            written.addAll(writer.appendStream(other, List.of(WritableEvent.of("c", new byte[] {3}))));
            PostgresSnapshotStore.of(writer).write(new Snapshot(kept, 2, Instant.parse("2026-01-01T00:00:00Z"),
                    new byte[] {7}, "application/octet-stream"));
            PostgresCheckpointStore.of(writer).save(ProjectionId.of("dashboard", 1), 42);
        }
        String role = readerRole();
        String metaRow = metaRow();
        try (PostgresEventStore writer = PostgresEventStore.open(db.dataSource(), options(schema));
                PostgresEventStore reader = PostgresEventStore.open(urlOf(role),
                        options(schema).withFeedCheckInterval(Duration.ofMillis(50)))) {
            assertThat(reader.readOnly()).isTrue();
            assertThat(writer.readOnly()).isFalse();

            assertThat(reader.readStream(kept, ReadStreamOptions.defaults()).toList()).containsExactlyElementsOf(written.subList(0, 2));
            assertThat(reader.readAll(ReadAllOptions.defaults()).toList()).containsExactlyElementsOf(written);
            assertThat(reader.headPosition()).isEqualTo(written.get(2).globalPosition().orElseThrow());
            assertThat(reader.listStreams()).extracting(StreamInfo::streamId).containsExactlyInAnyOrder(kept, other);
            assertThat(reader.health().heldBack()).isFalse();
            Optional<Snapshot> snapshot = PostgresSnapshotStore.of(reader).read(kept, Long.MAX_VALUE);
            assertThat(snapshot).map(Snapshot::version).contains(2L);
            assertThat(PostgresCheckpointStore.of(reader).load(ProjectionId.of("dashboard", 1)))
                    .map(Checkpoint::position).contains(42L);
            assertThat(PostgresCheckpointStore.of(reader).list()).hasSize(1);

            // A subscription on the reader follows the writer's appends, woken across processes.
            try (Subscription subscription = Subscription.to(reader,
                    SubscriptionOptions.defaults().pollInterval(Duration.ofHours(1)))) {
                for (Event e : written) {
                    assertThat(subscription.next(Duration.ofSeconds(10))).contains(e);
                }
                assertThat(subscription.next(Duration.ZERO)).isEmpty();
                Event later = writer.appendStream(other, List.of(WritableEvent.of("d", new byte[] {4}))).get(0);
                assertThat(subscription.next(Duration.ofSeconds(20))).contains(later);
            }

            // Writes: refused by the store itself, or by PostgreSQL, always with a message naming the role.
            assertThatThrownBy(() -> reader.appendStream(kept, List.of(WritableEvent.of("x", new byte[] {9}))))
                    .isInstanceOf(PermissionDeniedException.class)
                    .hasMessageContaining(role).hasMessageContaining("may not write");
            assertThatThrownBy(() -> reader.deleteStream(other, DeleteStreamOptions.wholeStream()))
                    .isInstanceOf(PermissionDeniedException.class)
                    .hasMessageContaining(role).hasMessageContaining("may not write");
            assertThatThrownBy(() -> PostgresCheckpointStore.of(reader).save(ProjectionId.of("dashboard", 1), 43))
                    .isInstanceOf(PermissionDeniedException.class).hasMessageContaining(role)
                    .hasMessageContaining("checkpoints");
            assertThatThrownBy(() -> PostgresSnapshotStore.of(reader).write(new Snapshot(kept, 2, Instant.now(),
                    new byte[] {8}, "application/octet-stream")))
                    .isInstanceOf(PermissionDeniedException.class).hasMessageContaining(role);
            assertThat(reader.readStream(kept, ReadStreamOptions.defaults()).toList()).hasSize(2);
        }
        assertThat(metaRow()).as("opening for reading wrote nothing to meta").isEqualTo(metaRow);
    }

    /** The same over a caller's data source, in strict mode: a reader does not touch the allocator. */
    @Test
    void aRoleThatMayOnlyReadOpensAStrictStoreOverItsOwnDataSource() throws Exception {
        PostgresOptions strict = PostgresOptions.strict().withSchema(schema).withFeedCheckInterval(Duration.ZERO);
        List<Event> written;
        try (PostgresEventStore writer = PostgresEventStore.open(db.dataSource(), strict)) {
            written = writer.appendStream(TypeId.newV4("s"), List.of(WritableEvent.of("a", new byte[] {1})));
        }
        String role = readerRole();
        String allocator = scalar("SELECT xmin::text || ':' || last_position FROM \"" + schema + "\".allocator");
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(urlOf(role));
        config.setMaximumPoolSize(3);
        try (HikariDataSource pool = new HikariDataSource(config);
                PostgresEventStore reader = PostgresEventStore.open(pool, strict)) {
            assertThat(reader.readOnly()).isTrue();
            assertThat(reader.readAll(ReadAllOptions.defaults()).toList()).containsExactlyElementsOf(written);
            assertThat(reader.headPosition()).isEqualTo(1);
            assertThatThrownBy(() -> reader.appendStream(TypeId.newV4("s"), List.of(WritableEvent.of("x", new byte[] {9}))))
                    .isInstanceOf(PermissionDeniedException.class).hasMessageContaining("may not write");
        }
        assertThat(scalar("SELECT xmin::text || ':' || last_position FROM \"" + schema + "\".allocator"))
                .isEqualTo(allocator);
    }

    /**
     * A read-side service that keeps its checkpoints in the store's schema: privileges on the
     * companions' tables do not make a role a writer of events, and its checkpoint writes are left
     * to those privileges.
     */
    @Test
    void aReaderMayWriteTheCompanionTablesItIsGranted() throws Exception {
        PostgresEventStore.open(db.dataSource(), options(schema)).close();
        String role = readerRole();
        execute("GRANT INSERT, UPDATE, DELETE ON \"" + schema + "\".checkpoints TO \"" + role + "\"");
        try (PostgresEventStore reader = PostgresEventStore.open(urlOf(role), options(schema))) {
            assertThat(reader.readOnly()).isTrue();
            PostgresCheckpointStore checkpoints = PostgresCheckpointStore.of(reader);
            checkpoints.save(ProjectionId.of("read_model", 1), 7);
            assertThat(checkpoints.load(ProjectionId.of("read_model", 1))).map(Checkpoint::position).contains(7L);
            assertThatThrownBy(() -> reader.appendStream(TypeId.newV4("s"), List.of(WritableEvent.of("x", new byte[] {9}))))
                    .isInstanceOf(PermissionDeniedException.class).hasMessageContaining("may not write");
        }
    }

    /** A multi-stream append is a write like any other: refused, with nothing of it written. */
    @Test
    void aRoleThatMayOnlyReadIsRefusedAMultiStreamAppend() throws Exception {
        TypeId kept = TypeId.newV4("kept");
        TypeId fresh = TypeId.newV4("fresh");
        try (PostgresEventStore writer = PostgresEventStore.open(db.dataSource(), options(schema))) {
            writer.appendStream(kept, List.of(WritableEvent.of("a", new byte[] {1})));
        }
        String role = readerRole();
        try (PostgresEventStore reader = PostgresEventStore.open(urlOf(role), options(schema))) {
            assertThat(reader.readOnly()).isTrue();
            assertThatThrownBy(() -> reader.appendStreams(List.of(
                    StreamAppend.of(kept, List.of(WritableEvent.of("b", new byte[] {2}))),
                    StreamAppend.of(fresh, List.of(WritableEvent.of("c", new byte[] {3}))))))
                    .isInstanceOf(PermissionDeniedException.class)
                    .hasMessageContaining(role).hasMessageContaining("may not write")
                    .hasMessageContaining(kept.toString()).hasMessageContaining(fresh.toString());
            assertThat(reader.readAll(ReadAllOptions.defaults()).toList()).hasSize(1);
            assertThat(reader.listStreams()).extracting(StreamInfo::streamId).containsExactly(kept);
        }
    }

    /**
     * A session that is read-only by default ({@code default_transaction_read_only}, as a
     * dashboard's role is often set up) opens read-only although its role holds write privileges.
     */
    @Test
    void aReadOnlySessionOpensTheStoreReadOnly() throws Exception {
        TypeId stream = TypeId.newV4("s");
        try (PostgresEventStore writer = PostgresEventStore.open(db.dataSource(), options(schema))) {
            writer.appendStream(stream, List.of(WritableEvent.of("a", new byte[] {1})));
        }
        String role = newRole();
        execute("GRANT USAGE ON SCHEMA \"" + schema + "\" TO \"" + role + "\"");
        execute("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"" + schema + "\" TO \"" + role + "\"");
        execute("ALTER ROLE \"" + role + "\" SET default_transaction_read_only = on");
        try (PostgresEventStore reader = PostgresEventStore.open(urlOf(role), options(schema))) {
            assertThat(reader.readOnly()).isTrue();
            assertThat(reader.readStream(stream, ReadStreamOptions.defaults()).toList()).hasSize(1);
            assertThat(reader.readAll(ReadAllOptions.defaults()).toList()).hasSize(1);
            assertThatThrownBy(() -> reader.appendStream(stream, List.of(WritableEvent.of("x", new byte[] {9}))))
                    .isInstanceOf(PermissionDeniedException.class).hasMessageContaining("read-only");
        }
    }

    /**
     * A role that may write events must not open without the position-base check, which locks and
     * may update the {@code meta} row: lacking that privilege, it is refused, and told which grant
     * is missing, rather than opened read-only or allowed to write unchecked.
     */
    @Test
    void aRoleThatMayWriteEventsButNotUpdateMetaIsRefused() throws Exception {
        PostgresEventStore.open(db.dataSource(), options(schema)).close();
        String role = readerRole();
        execute("GRANT INSERT, UPDATE, DELETE ON \"" + schema + "\".events, \"" + schema + "\".streams TO \"" + role + "\"");
        String metaRow = metaRow();
        assertThatThrownBy(() -> PostgresEventStore.open(urlOf(role), options(schema)).close())
                .isInstanceOf(PermissionDeniedException.class)
                .hasMessageContaining(role).hasMessageContaining("UPDATE").hasMessageContaining("meta");
        assertThat(metaRow()).isEqualTo(metaRow);
    }

    /**
     * A writer that does not own the tables cannot take an older schema to version 4, which alters
     * a table: it is refused, told to open the store once as the tables' owner, and nothing changes;
     * once the owner has, it opens and writes.
     */
    @Test
    void aWriterThatDoesNotOwnTheTablesIsToldTheOwnerMustMigrateThem() throws Exception {
        PostgresEventStore.open(db.dataSource(), options(schema)).close();
        execute("ALTER TABLE \"" + schema + "\".snapshots DROP COLUMN event_uuid");
        execute("UPDATE \"" + schema + "\".meta SET schema_version = 3");
        String role = readerRole();
        execute("GRANT INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA \"" + schema + "\" TO \"" + role + "\"");
        assertThatThrownBy(() -> PostgresEventStore.open(urlOf(role), options(schema)).close())
                .isInstanceOf(PermissionDeniedException.class)
                .hasMessageContaining(role).hasMessageContaining("version 3")
                .hasMessageContaining("open the store once as that owner");
        assertThat(scalar("SELECT schema_version FROM \"" + schema + "\".meta")).isEqualTo("3");

        PostgresEventStore.open(db.dataSource(), options(schema)).close(); // the owner migrates it
        try (PostgresEventStore writer = PostgresEventStore.open(urlOf(role), options(schema))) {
            assertThat(writer.readOnly()).isFalse();
            writer.appendStream(TypeId.newV4("owned"),
                    List.of(WritableEvent.json("x", "{}")));
        }
    }

    /**
     * After a restore into another cluster, the position base must be raised before the restored
     * events fall below the watermark: until then a global read would not return them. A reader
     * cannot raise it, so it refuses to open, saying so, rather than serve a feed that silently
     * lacks events; once a writer has opened the store, the reader opens and reads every event.
     */
    @Test
    void aReaderRefusesAStoreWhosePositionBaseNoWriterHasRaisedSinceARestore() throws Exception {
        List<Event> written;
        try (PostgresEventStore writer = PostgresEventStore.open(db.dataSource(), options(schema))) {
            written = writer.appendStream(TypeId.newV4("s"), List.of(WritableEvent.of("a", new byte[] {1}),
                    WritableEvent.of("b", new byte[] {2})));
        }
        // What a restore into a cluster with lower transaction IDs amounts to: the positions in use
        // are above every position this cluster's transactions would give with the stored base.
        execute("UPDATE \"" + schema + "\".meta SET position_base = position_base - (1::bigint << 50)");
        String role = readerRole();
        String metaRow = metaRow();
        assertThatThrownBy(() -> PostgresEventStore.open(urlOf(role), options(schema)).close())
                .isInstanceOf(EventStoreException.class)
                .hasMessageContaining("position base").hasMessageContaining("restored")
                .hasMessageContaining(role);
        assertThat(metaRow()).as("the reader changed nothing").isEqualTo(metaRow);

        PostgresEventStore.open(db.dataSource(), options(schema)).close(); // a writer raises the base
        try (PostgresEventStore reader = PostgresEventStore.open(urlOf(role), options(schema))) {
            assertThat(reader.readAll(ReadAllOptions.defaults()).toList()).containsExactlyElementsOf(written);
            assertThat(reader.headPosition()).isEqualTo(written.get(1).globalPosition().orElseThrow());
        }
    }

    /** A reader cannot migrate a schema of an older version; it says so instead of failing later on a missing table. */
    @Test
    void aReaderRefusesASchemaOfAnOlderVersion() throws Exception {
        PostgresEventStore.open(db.dataSource(), options(schema)).close();
        execute("DROP TABLE \"" + schema + "\".leases, \"" + schema + "\".members");
        execute("ALTER TABLE \"" + schema + "\".snapshots DROP COLUMN event_uuid");
        execute("UPDATE \"" + schema + "\".meta SET schema_version = 2");
        String role = readerRole();
        assertThatThrownBy(() -> PostgresEventStore.open(urlOf(role), options(schema)).close())
                .isInstanceOf(IncompatibleSchemaException.class)
                .hasMessageContaining("version 2").hasMessageContaining(role).hasMessageContaining("migrate");
        PostgresEventStore.open(db.dataSource(), options(schema)).close(); // a writer migrates it
        execute("GRANT SELECT ON ALL TABLES IN SCHEMA \"" + schema + "\" TO \"" + role + "\"");
        try (PostgresEventStore reader = PostgresEventStore.open(urlOf(role), options(schema))) {
            assertThat(reader.readOnly()).isTrue();
            assertThat(PostgresLeaseStore.of(reader).leases("g")).isEmpty();
        }
    }

    @Test
    void aMissingSchemaThatTheRoleMayNotCreateIsNamedAsSuch() throws Exception {
        String role = newRole();
        assertThat(scalar("SELECT has_database_privilege('" + role + "', current_database(), 'CREATE')")).isEqualTo("f");
        assertThatThrownBy(() -> PostgresEventStore.open(urlOf(role), options(schema)).close())
                .isInstanceOf(PermissionDeniedException.class)
                .hasMessageContaining("schema \"" + schema + "\" does not exist")
                .hasMessageContaining(role).hasMessageContaining("may not create it");
        assertThat(scalar("SELECT count(*) FROM pg_namespace WHERE nspname = '" + schema + "'")).isEqualTo("0");
    }

    @Test
    void anEmptySchemaWhoseTablesTheRoleMayNotCreateIsNamedAsSuch() throws Exception {
        execute("CREATE SCHEMA \"" + schema + "\"");
        String role = newRole();
        execute("GRANT USAGE ON SCHEMA \"" + schema + "\" TO \"" + role + "\"");
        assertThatThrownBy(() -> PostgresEventStore.open(urlOf(role), options(schema)).close())
                .isInstanceOf(PermissionDeniedException.class)
                .hasMessageContaining("schema \"" + schema + "\" holds no event store")
                .hasMessageContaining(role).hasMessageContaining("may not create");
        assertThat(scalar("SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                + " WHERE n.nspname = '" + schema + "'")).isEqualTo("0");
    }

    /**
     * The hint for a missing schema is SQL an administrator copies: a role name holding a double
     * quote (legal in PostgreSQL) must be quoted in it as an identifier, not cut short, which would
     * give SQL that fails or, for a crafted name, does something else.
     */
    @Test
    void theCreateSchemaHintQuotesTheRoleName() throws Exception {
        String role = "r_" + TestDatabase.randomSchema() + "\" x";
        String quoted = "\"" + role.replace("\"", "\"\"") + "\"";
        execute("CREATE ROLE " + quoted + " LOGIN");
        try {
            TestDatabase.Endpoint e = db.endpoint();
            String url = "jdbc:postgresql://" + e.host() + ":" + e.port() + "/" + e.database() + "?user="
                    + java.net.URLEncoder.encode(role, java.nio.charset.StandardCharsets.UTF_8);
            assertThatThrownBy(() -> PostgresEventStore.open(url, options(schema)).close())
                    .isInstanceOf(PermissionDeniedException.class)
                    .hasMessageContaining("may not create it")
                    .hasMessageContaining("CREATE SCHEMA \"" + schema + "\" AUTHORIZATION " + quoted + ")");
        } finally {
            execute("DROP ROLE " + quoted);
        }
    }

    /** The meta row with its row version ({@code xmin}): any update by an opener changes it. */
    private String metaRow() throws Exception {
        return scalar("SELECT xmin::text || ':' || schema_version || ':' || position_base || ':' || deleted_position_high"
                + " FROM \"" + schema + "\".meta");
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
