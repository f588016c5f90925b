package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.snapshot.Snapshot;
import dev.estoria.snapshot.SnapshotStore;
import dev.estoria.typeid.TypeId;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link SnapshotStore}: clauses SS-01..06 of the original suite, SS-07 and SS-08,
 * plus edge cases.
 * The clauses hold for any retention, from keep-newest-only to keep-all.
 *
 * @param <S> the snapshot store under test
 */
public abstract class SnapshotStoreContract<S extends SnapshotStore> extends KitFixture<S> {

    private static TypeId newAggregateId() {
        return TypeId.newV4("storetestentity");
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static final Instant AT = Instant.parse("2026-08-05T12:00:00Z");

    @Test
    @DisplayName("SS-01 an aggregate never snapshotted has no snapshot")
    void neverSnapshotted() {
        assertThat(store.read(newAggregateId())).isEmpty();
        assertThat(store.read(newAggregateId(), 5)).isEmpty();
    }

    @Test
    @DisplayName("SS-02 round-trips every field, bytes verbatim and an empty content type kept empty")
    void roundTripsEveryField() {
        TypeId id = newAggregateId();
        byte[] data = bytes("{\"owner\":\"alice\",\"balance\":42}");
        store.write(new Snapshot(id, 7, AT, data.clone(), "application/x-storetest"));
        Snapshot read = store.read(id).orElseThrow();
        assertThat(read.aggregateId()).isEqualTo(id);
        assertThat(read.version()).isEqualTo(7);
        assertThat(read.timestamp()).isEqualTo(AT);
        assertThat(read.data()).isEqualTo(data);
        assertThat(read.contentType()).isEqualTo("application/x-storetest");
        assertThat(read.eventId()).as("event ID of a snapshot written without one").isNull();

        TypeId named = newAggregateId();
        UUID eventId = UUID.randomUUID();
        store.write(new Snapshot(named, 3, AT, data.clone(), "application/x-storetest", eventId));
        assertThat(store.read(named).orElseThrow().eventId()).isEqualTo(eventId);
        assertThat(store.read(named, 3).orElseThrow())
                .isEqualTo(new Snapshot(named, 3, AT, data.clone(), "application/x-storetest", eventId));

        TypeId other = newAggregateId();
        byte[] binary = {0, (byte) 0xFF, 10, 13, 0};
        store.write(new Snapshot(other, 7, AT, binary, ""));
        Snapshot plain = store.read(other).orElseThrow();
        assertThat(plain.contentType()).isEmpty();
        assertThat(plain.data()).isEqualTo(binary);
    }

    @Test
    @DisplayName("SS-03 does not modify the input snapshot, and changing returned bytes changes nothing stored")
    void doesNotModifyInput() {
        TypeId id = newAggregateId();
        Snapshot input = new Snapshot(id, 4, AT, bytes("{\"owner\":\"bob\",\"balance\":7}"), "application/x-storetest");
        Snapshot copy = new Snapshot(id, 4, AT, bytes("{\"owner\":\"bob\",\"balance\":7}"), "application/x-storetest");
        store.write(input);
        assertThat(input).isEqualTo(copy);
        store.read(id).orElseThrow().data()[0] = 'X';
        assertThat(store.read(id).orElseThrow()).isEqualTo(copy);
    }

    @Test
    @DisplayName("SS-04 a default read returns the most recent snapshot")
    void defaultReadReturnsNewest() {
        TypeId id = newAggregateId();
        for (int v = 1; v <= 3; v++) {
            store.write(new Snapshot(id, v, AT, bytes("{}"), ""));
        }
        assertThat(store.read(id).orElseThrow().version()).isEqualTo(3);
    }

    @Test
    @DisplayName("SS-05 never returns a snapshot newer than the maximum version")
    void neverNewerThanMaxVersion() {
        TypeId id = newAggregateId();
        for (int v = 1; v <= 3; v++) {
            store.write(new Snapshot(id, v, AT, bytes("{\"v\":" + v + "}"), ""));
        }
        Optional<Snapshot> atMostTwo = store.read(id, 2);
        atMostTwo.ifPresent(s -> assertThat(s.version()).isLessThanOrEqualTo(2));
        assertThat(store.read(id, 3).orElseThrow().version()).isEqualTo(3);
        assertThat(store.read(id, 100).orElseThrow().version()).isEqualTo(3);
        assertThatThrownBy(() -> store.read(id, -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("SS-06 snapshots are keyed by the full typed ID")
    void keyedByFullTypedId() {
        UUID uuid = UUID.randomUUID();
        store.write(new Snapshot(TypeId.of("storetestentity", uuid), 1, AT, bytes("{}"), ""));
        assertThat(store.read(TypeId.of("storetestentityother", uuid))).isEmpty();
        assertThat(store.read(TypeId.of("storetestentity", uuid))).isPresent();
    }

    @Test
    @DisplayName("a snapshot at a version already stored is not duplicated")
    void sameVersionNotDuplicated() {
        TypeId id = newAggregateId();
        store.write(new Snapshot(id, 2, AT, bytes("{\"a\":1}"), ""));
        store.write(new Snapshot(id, 2, AT, bytes("{\"a\":1}"), ""));
        assertThat(store.read(id).orElseThrow().version()).isEqualTo(2);
        assertThat(store.read(id, 1)).isEmpty();
    }

    @Test
    @DisplayName("a snapshot at a stored version with the same state but taken at another event replaces it for reads")
    void sameStateAtAnotherEventReplaces() {
        // The aggregate's stream was deleted and written again to the same state: only the event ID
        // tells the new snapshot from its predecessor's, and loads must find the new one.
        TypeId id = newAggregateId();
        UUID before = UUID.randomUUID();
        UUID after = UUID.randomUUID();
        store.write(new Snapshot(id, 2, AT, bytes("{\"a\":1}"), "", before));
        store.write(new Snapshot(id, 2, AT.plusSeconds(1), bytes("{\"a\":1}"), "", after));
        Snapshot read = store.read(id).orElseThrow();
        assertThat(read.version()).isEqualTo(2);
        assertThat(read.eventId()).isEqualTo(after);
    }

    @Test
    @DisplayName("SS-07 an older snapshot written late never hides a newer one")
    void lateOlderWriteDoesNotHideNewer() {
        TypeId id = newAggregateId();
        store.write(new Snapshot(id, 3, AT, bytes("{\"v\":3}"), ""));
        store.write(new Snapshot(id, 2, AT, bytes("{\"v\":2}"), ""));
        assertThat(store.read(id).orElseThrow().version()).as("newest").isEqualTo(3);
        assertThat(store.read(id, 5).orElseThrow().version()).as("newest at most 5").isEqualTo(3);
        assertThat(store.read(id, 3).orElseThrow().data()).isEqualTo(bytes("{\"v\":3}"));
        store.read(id, 2).ifPresent(s -> assertThat(s.version()).isEqualTo(2));
    }

    @Test
    @DisplayName("SS-08 delete removes every snapshot of the aggregate and nothing else")
    void deleteRemovesTheAggregatesSnapshotsOnly() {
        UUID uuid = UUID.randomUUID();
        TypeId id = TypeId.of("storetestentity", uuid);
        TypeId sameUuid = TypeId.of("storetestentityother", uuid);
        TypeId other = newAggregateId();
        for (int v = 1; v <= 3; v++) {
            store.write(new Snapshot(id, v, AT, bytes("{\"v\":" + v + "}"), ""));
        }
        store.write(new Snapshot(sameUuid, 2, AT, bytes("{\"same\":2}"), ""));
        store.write(new Snapshot(other, 5, AT, bytes("{\"other\":5}"), ""));

        assertThat(store.delete(id)).as("deleted").isTrue();
        assertThat(store.read(id)).isEmpty();
        for (long v = 1; v <= 3; v++) {
            assertThat(store.read(id, v)).as("at most version %d", v).isEmpty();
        }
        assertThat(store.read(sameUuid).orElseThrow().data()).isEqualTo(bytes("{\"same\":2}"));
        assertThat(store.read(other).orElseThrow().version()).isEqualTo(5);
        assertThat(store.delete(id)).as("nothing left to delete").isFalse();
        assertThat(store.delete(newAggregateId())).as("never snapshotted").isFalse();

        // A snapshot written afterwards is stored as any other, even at a version deleted before.
        store.write(new Snapshot(id, 1, AT, bytes("{\"again\":1}"), ""));
        assertThat(store.read(id).orElseThrow().data()).isEqualTo(bytes("{\"again\":1}"));
    }
}
