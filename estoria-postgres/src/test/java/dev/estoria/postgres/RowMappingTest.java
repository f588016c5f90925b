package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import javax.sql.DataSource;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Reads return exactly what appends returned, whichever result format the connection gives (the
 * store asks for binary results on long reads; a connection without server-side prepared
 * statements keeps text), and while the row mapper reuses the stream ID and metadata of the row
 * before.
 */
class RowMappingTest {

    private static final List<Map<String, String>> METADATA = List.of(Map.of("k", "1"), Map.of("k", "1"),
            Map.of("k", "2"), Map.of(), Map.of("k", "1", "z", ""), Map.of("k", "1"), Map.of("ü", "\uD83D\uDE00"));

    @ParameterizedTest(name = "prepareThreshold={0}")
    @ValueSource(ints = {5, 0})
    @DisplayName("global and stream reads, short and long, return what appends returned, neighbour by neighbour")
    void readsReturnWhatAppendsReturned(int prepareThreshold) {
        TestDatabase db = TestDatabase.get();
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl(db.jdbcUrl);
        config.setMaximumPoolSize(4);
        config.addDataSourceProperty("prepareThreshold", Integer.toString(prepareThreshold));
        try (HikariDataSource pool = new HikariDataSource(config)) {
            String schema = TestDatabase.randomSchema();
            try (PostgresEventStore store = open(pool, schema)) {
                TypeId a = TypeId.newV4("a");
                TypeId b = TypeId.newV4("b");
                List<Event> ofA = new ArrayList<>();
                List<Event> ofB = new ArrayList<>();
                for (int round = 0; round < 3; round++) {
                    // Long enough that a whole-stream read goes past the first batch, onto the cursor.
                    ofA.addAll(store.appendStream(a, batch(120, round)));
                    ofB.addAll(store.appendStream(b, batch(3, round + 1)));
                }
                List<Event> all = new ArrayList<>(ofA);
                all.addAll(ofB);
                all.sort(Comparator.comparingLong(e -> e.globalPosition().orElseThrow()));

                assertThat(read(store.readAll(ReadAllOptions.defaults()))).isEqualTo(all);
                assertThat(read(store.readStream(a, ReadStreamOptions.defaults()))).isEqualTo(ofA);
                assertThat(read(store.readStream(b, ReadStreamOptions.defaults()))).isEqualTo(ofB);
                assertThat(read(store.readStream(a, ReadStreamOptions.defaults().afterVersion(350))))
                        .isEqualTo(ofA.subList(350, 360));
                // Run the long reads again: a connection that has run a statement before may answer
                // it from a server-side prepared statement.
                for (int i = 0; i < 6; i++) {
                    assertThat(read(store.readAll(ReadAllOptions.defaults()))).isEqualTo(all);
                    assertThat(read(store.readStream(a, ReadStreamOptions.defaults()))).isEqualTo(ofA);
                }
            } finally {
                db.dropSchema(schema);
            }
        }
    }

    private static PostgresEventStore open(DataSource pool, String schema) {
        return PostgresEventStore.open(pool, PostgresOptions.defaults().withSchema(schema)
                .withFeedCheckInterval(Duration.ZERO));
    }

    private static List<WritableEvent> batch(int size, int shift) {
        List<WritableEvent> events = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            events.add(WritableEvent.of("e" + (i % 2), new byte[] {(byte) i, (byte) shift})
                    .withMetadata(METADATA.get((i / 2 + shift) % METADATA.size())));
        }
        return events;
    }

    private static List<Event> read(StreamIterator it) {
        try (it) {
            return it.toList();
        }
    }
}
