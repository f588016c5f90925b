package dev.estoria.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

class PostgresBaselineTest {

    @Test
    void baselinesMintTimeOrderedEventIdsAsTheStoreDoes() throws Exception {
        for (PostgresBaseline.Design design : PostgresBaseline.Design.values()) {
            String schema = "bench_test_" + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextInt());
            String url = TestPostgres.url();
            List<UUID> ids = new ArrayList<>();
            try (PostgresBaseline baseline = PostgresBaseline.create(design, url, schema, 1, () -> drop(url, schema));
                    AppendSubject.Writer writer = baseline.writer(0)) {
                writer.append(0, 1);
                writer.append(1, 10);
                try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT event_uuid FROM \"" + schema + "\".events")) {
                    while (rs.next()) {
                        ids.add(rs.getObject(1, UUID.class));
                    }
                }
            }
            // Random (version 4) IDs would write a random page of the event-ID index per event,
            // a cost the store, which mints version 7 IDs, does not pay.
            assertThat(ids).as("%s", design).hasSize(11).allMatch(id -> id.version() == 7);
        }
    }

    private static void drop(String url, String schema) {
        try (Connection c = DriverManager.getConnection(url); Statement s = c.createStatement()) {
            s.execute("DROP SCHEMA IF EXISTS \"" + schema + "\" CASCADE");
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
