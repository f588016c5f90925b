package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import javax.sql.DataSource;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The statement timeout becomes PostgreSQL's {@code statement_timeout} in whole milliseconds (the
 * owned pool's connection SQL, a caller's pool's per-transaction setting), whose range is 0 to
 * 2^31 - 1 ms, with 0 meaning no timeout at all. A positive timeout under 1 ms used to become 0 and
 * turn the timeout off; one over the range (or within 5 s of it, which overflows the socket timeout)
 * made every connection of the owned pool fail, and opening failed as if PostgreSQL were unreachable.
 * Both are refused up front now.
 */
@Timeout(60)
class StatementTimeoutRangeTest {

    @Test
    void aStatementTimeoutOutsidePostgresRangeIsRefusedNotTurnedOffOrUnreachable() throws Exception {
        assertThatThrownBy(() -> PostgresOptions.defaults().withStatementTimeout(Duration.ofNanos(500_000)))
                .as("0.5 ms would be statement_timeout = 0: no timeout at all")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("statementTimeout");
        assertThatThrownBy(() -> PostgresOptions.defaults().withStatementTimeout(Duration.ofDays(30)))
                .as("over 2^31 - 1 ms, which PostgreSQL refuses for every connection")
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("statementTimeout");

        // The bounds themselves are fine, and the largest reaches the owned pool's sessions as it is
        // (its socket timeout, 5 s longer, must fit the driver's int milliseconds as well).
        assertThat(PostgresOptions.defaults().withStatementTimeout(Duration.ofMillis(1)).statementTimeout())
                .isEqualTo(Duration.ofMillis(1));
        TestDatabase db = TestDatabase.get();
        try (PostgresEventStore store = PostgresEventStore.open(db.jdbcUrl, PostgresOptions.defaults()
                .withSchema(TestDatabase.randomSchema()).withFeedCheckInterval(Duration.ZERO)
                .withStatementTimeout(Duration.ofSeconds(2_147_478)))) {
            try {
                var field = PostgresEventStore.class.getDeclaredField("dataSource");
                field.setAccessible(true);
                try (Connection c = ((DataSource) field.get(store)).getConnection(); Statement s = c.createStatement();
                        ResultSet rs = s.executeQuery("SELECT current_setting('statement_timeout')::interval"
                                + " = interval '2147478 seconds'")) {
                    rs.next();
                    assertThat(rs.getBoolean(1)).isTrue();
                }
            } finally {
                db.dropSchema(store.options().schema());
            }
        }
    }
}
