package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A row no append writes (metadata changed by hand, say) fails the read that meets it with an
 * {@link EventStoreException} naming its position, as any store failure does, rather than with an
 * exception from the depths of the decoder.
 */
class DamagedRowTest {

    private final TestDatabase db = TestDatabase.get();

    @ParameterizedTest(name = "metadata {0}")
    @ValueSource(strings = {
        "00000001ff", // one entry claimed, the buffer ends inside its length
        "0000000100000001ff00000000", // a key that is not UTF-8
        "ffffffff", // a negative entry count
        "7fffffff00", // far more entries than bytes
        "00000001fffffffe00000000" // a negative key length
    })
    void aDamagedRowFailsTheReadWithAStoreErrorNamingItsPosition(String hex) throws Exception {
        PostgresEventStore store = db.newStore(PostgresOptions.defaults());
        try {
            TypeId stream = TypeId.newV4("account");
            long position = store.appendStream(stream, List.of(WritableEvent.of("opened", new byte[] {1})
                    .withMetadata(Map.of("k", "v")))).get(0).globalPosition().orElseThrow();
            try (Connection c = db.connect(); PreparedStatement s = c.prepareStatement(
                    "UPDATE \"" + store.options().schema() + "\".events SET metadata = ? WHERE position = ?")) {
                s.setBytes(1, HexFormat.of().parseHex(hex));
                s.setLong(2, position);
                s.executeUpdate();
            }
            assertThatThrownBy(() -> store.readStream(stream, ReadStreamOptions.defaults()).toList())
                    .isInstanceOf(EventStoreException.class).hasMessageContaining("position " + position + " is damaged");
            assertThatThrownBy(() -> store.readAll(ReadAllOptions.defaults()).toList())
                    .isInstanceOf(EventStoreException.class).hasMessageContaining("position " + position + " is damaged");
        } finally {
            db.discard(store);
        }
    }
}
