package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A schema dumped with pg_dump and restored into a fresh cluster, whose transaction IDs start low
 * again: positions must keep increasing and every restored event must stay readable.
 */
@Timeout(120)
class DumpRestoreTest {

    private final TestDatabase db = TestDatabase.get();

    @Test
    void positionsKeepIncreasingAndOldEventsStayVisibleAfterRestoreIntoFreshCluster() throws Exception {
        String schema = TestDatabase.randomSchema();
        PostgresOptions options = PostgresOptions.defaults().withSchema(schema).withFeedCheckInterval(Duration.ZERO);
        List<Event> before;
        long highestDeleted;
        Path dump = Files.createTempFile("estoria-dump", ".sql");
        try (EmbeddedPostgres fresh = EmbeddedPostgres.builder().start()) {
            // Before the appends, so that their positions come from transaction IDs the fresh cluster
            // has not reached (run alone, the source cluster would be as young as the fresh one).
            burnTransactionIdsBeyond(currentXid(fresh) + 2_000);
            try (PostgresEventStore source = PostgresEventStore.open(db.dataSource(), options)) {
                for (int i = 0; i < 5; i++) {
                    source.appendStream(TypeId.newV4("kept"), List.of(
                            WritableEvent.of("e", new byte[] {0, (byte) i, (byte) 255})
                                    .withContentType("application/octet-stream")
                                    .withMetadata(Map.of("nul", "a\u0000b", "unicode", "Grüße 🌍")),
                            WritableEvent.json("e", "{\"i\":" + i + "}")));
                }
                TypeId doomed = TypeId.newV4("doomed");
                highestDeleted = source.appendStream(doomed, List.of(WritableEvent.of("e", new byte[] {9})))
                        .get(0).globalPosition().orElseThrow();
                source.deleteStream(doomed);
                before = source.readAll(ReadAllOptions.defaults()).toList();
            }
            assertThat(before).hasSize(10);

            TestDatabase.Endpoint src = db.endpoint();
            run(List.of("pg_dump", "-h", src.host(), "-p", Integer.toString(src.port()), "-U", src.user(),
                    "-d", src.database(), "-n", schema, "--no-owner", "-f", dump.toString()), src.password());
            run(List.of("psql", "-q", "-h", "localhost", "-p", Integer.toString(fresh.getPort()), "-U", "postgres",
                    "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-f", dump.toString()), null);

            try (HikariDataSource target = pool(fresh.getJdbcUrl("postgres", "postgres"))) {
                long baseBefore = positionBase(target, schema);
                // A role that may only read cannot raise the base, so it refuses to open rather than
                // serve a global feed that lacks the restored events; it leaves the base as it is.
                try (Connection c = target.getConnection(); Statement s = c.createStatement()) {
                    s.execute("CREATE ROLE reader LOGIN");
                    s.execute("GRANT USAGE ON SCHEMA \"" + schema + "\" TO reader");
                    s.execute("GRANT SELECT ON ALL TABLES IN SCHEMA \"" + schema + "\" TO reader");
                }
                String readerUrl = fresh.getJdbcUrl("reader", "postgres");
                assertThatThrownBy(() -> PostgresEventStore.open(readerUrl, options).close())
                        .isInstanceOf(PermissionDeniedException.class).hasMessageContaining("restored from another cluster");
                assertThat(positionBase(target, schema)).isEqualTo(baseBefore);
                long firstNew;
                try (PostgresEventStore restored = PostgresEventStore.open(target, options)) {
                    assertThat(restored.readAll(ReadAllOptions.defaults()).toList())
                            .as("every restored event, positions unchanged").containsExactlyElementsOf(before);
                    List<Event> added = restored.appendStream(TypeId.newV4("after"), List.of(WritableEvent.of("e", new byte[] {1})));
                    firstNew = added.get(0).globalPosition().orElseThrow();
                    assertThat(firstNew).isGreaterThan(before.get(before.size() - 1).globalPosition().orElseThrow())
                            .isGreaterThan(highestDeleted);
                    long last = before.get(before.size() - 1).globalPosition().orElseThrow();
                    assertThat(restored.readAll(ReadAllOptions.after(last)).toList()).containsExactlyElementsOf(added);
                    List<Event> all = new ArrayList<>(before);
                    all.addAll(added);
                    assertThat(restored.readAll(ReadAllOptions.defaults()).toList()).containsExactlyElementsOf(all);
                }
                long raised = positionBase(target, schema);
                assertThat(raised).as("the base was raised for the new cluster").isGreaterThan(baseBefore);
                try (PostgresEventStore reader = PostgresEventStore.open(readerUrl, options)) {
                    assertThat(reader.readOnly()).isTrue();
                    assertThat(reader.readAll(ReadAllOptions.defaults()).toList()).hasSize(before.size() + 1)
                            .startsWith(before.toArray(Event[]::new));
                }
                try (PostgresEventStore reopened = PostgresEventStore.open(target, options)) {
                    assertThat(positionBase(target, schema)).as("reopening does not raise it again").isEqualTo(raised);
                    long next = reopened.appendStream(TypeId.newV4("after"), List.of(WritableEvent.of("e", new byte[] {2})))
                            .get(0).globalPosition().orElseThrow();
                    assertThat(next).isGreaterThan(firstNew);
                }
            }
        } finally {
            Files.deleteIfExists(dump);
            db.dropSchema(schema);
        }
    }

    private static HikariDataSource pool(String url) {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(url);
        config.setMaximumPoolSize(4);
        return new HikariDataSource(config);
    }

    private static long currentXid(EmbeddedPostgres pg) throws Exception {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT pg_current_xact_id()::text::bigint")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    /** Makes the source cluster's transaction counter pass {@code xid}, as a long-lived cluster's would. */
    private void burnTransactionIdsBeyond(long xid) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            c.setAutoCommit(true);
            long current = 0;
            while (current <= xid) {
                try (ResultSet rs = s.executeQuery("SELECT pg_current_xact_id()::text::bigint")) {
                    rs.next();
                    current = rs.getLong(1);
                }
            }
        }
    }

    private static long positionBase(HikariDataSource ds, String schema) throws Exception {
        try (Connection c = ds.getConnection(); Statement s = c.createStatement();
                ResultSet rs = s.executeQuery("SELECT position_base FROM \"" + schema + "\".meta")) {
            rs.next();
            return rs.getLong(1);
        }
    }

    private static void run(List<String> command, String password) throws Exception {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true);
        if (password != null) {
            pb.environment().put("PGPASSWORD", password);
        }
        File log = File.createTempFile("estoria-pgtool", ".log");
        pb.redirectOutput(log);
        Process p;
        try {
            p = pb.start();
        } catch (java.io.IOException e) {
            throw new AssertionError(command.get(0) + " is required on the PATH for this test (PostgreSQL client tools)", e);
        }
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(command.get(0) + " finished").isTrue();
        String output = Files.readString(log.toPath(), StandardCharsets.UTF_8);
        log.delete();
        assertThat(p.exitValue()).as(command.get(0) + " output: " + output).isZero();
    }
}
