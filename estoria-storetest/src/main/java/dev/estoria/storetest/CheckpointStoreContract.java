package dev.estoria.storetest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.projection.Checkpoint;
import dev.estoria.projection.CheckpointStore;
import dev.estoria.projection.ProjectionId;
import java.time.Instant;
import java.util.UUID;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The contract of {@link CheckpointStore}: clauses CP-01..07 of the original suite.
 *
 * @param <S> the checkpoint store under test
 */
public abstract class CheckpointStoreContract<S extends CheckpointStore> extends KitFixture<S> {

    private static ProjectionId newId() {
        return ProjectionId.of("storetest_" + UUID.randomUUID().toString().replace("-", "").substring(0, 12), 1);
    }

    @Test
    @DisplayName("CP-01 a projection never checkpointed has no checkpoint")
    void neverCheckpointed() {
        assertThat(store.load(newId())).isEmpty();
    }

    @Test
    @DisplayName("CP-02 round-trips the position and assigns updatedAt")
    void roundTrip() {
        ProjectionId id = newId();
        Instant before = Instant.now().minusSeconds(60);
        store.save(id, 42);
        Checkpoint checkpoint = store.load(id).orElseThrow();
        assertThat(checkpoint.projectionId()).isEqualTo(id);
        assertThat(checkpoint.position()).isEqualTo(42);
        assertThat(checkpoint.updatedAt()).isAfter(before);
    }

    @Test
    @DisplayName("CP-03 checkpoints are keyed by the full ID, name and version")
    void keyedByFullId() {
        ProjectionId v1 = newId();
        ProjectionId v2 = ProjectionId.of(v1.name(), v1.version() + 1);
        ProjectionId other = newId();
        store.save(v1, 10);
        store.save(v2, 3);
        store.save(other, 99);
        assertThat(store.load(v1).orElseThrow().position()).isEqualTo(10);
        assertThat(store.load(v2).orElseThrow().position()).isEqualTo(3);
        assertThat(store.load(other).orElseThrow().position()).isEqualTo(99);
        assertThat(store.list()).extracting(Checkpoint::projectionId).contains(v1, v2, other);
    }

    @Test
    @DisplayName("CP-04 the last save wins, even a lower position")
    void lastSaveWins() {
        ProjectionId id = newId();
        store.save(id, 10);
        store.save(id, 5);
        assertThat(store.load(id).orElseThrow().position()).isEqualTo(5);
    }

    @Test
    @DisplayName("CP-05 updatedAt is refreshed at an unchanged position")
    void updatedAtRefreshed() throws InterruptedException {
        ProjectionId id = newId();
        store.save(id, 7);
        Instant first = store.load(id).orElseThrow().updatedAt();
        Thread.sleep(20); // the clause is about wall-clock time passing between two saves
        store.save(id, 7);
        assertThat(store.load(id).orElseThrow().updatedAt()).isAfter(first);
    }

    @Test
    @DisplayName("CP-06 delete removes the checkpoint")
    void deleteRemoves() {
        ProjectionId id = newId();
        store.save(id, 12);
        assertThat(store.delete(id)).isTrue();
        assertThat(store.load(id)).isEmpty();
    }

    @Test
    @DisplayName("CP-07 deleting an absent checkpoint reports that nothing was deleted")
    void deleteAbsent() {
        assertThat(store.delete(newId())).isFalse();
    }

    @Test
    @DisplayName("negative positions are refused")
    void negativeRefused() {
        assertThatThrownBy(() -> store.save(newId(), -1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("CP-08 list() is ordered by projection name, then version, and leaves deleted checkpoints out")
    void listOrderedAndWithoutDeleted() {
        String prefix = newId().name();
        ProjectionId a1 = ProjectionId.of(prefix + "a", 1);
        ProjectionId a2 = ProjectionId.of(prefix + "a", 2);
        ProjectionId a10 = ProjectionId.of(prefix + "a", 10);
        ProjectionId b1 = ProjectionId.of(prefix + "b", 1);
        ProjectionId gone = ProjectionId.of(prefix + "c", 1);
        for (ProjectionId id : java.util.List.of(b1, a10, gone, a2, a1)) {
            store.save(id, 1);
        }
        store.delete(gone);
        assertThat(store.list()).extracting(Checkpoint::projectionId)
                .filteredOn(id -> id.name().startsWith(prefix))
                .containsExactly(a1, a2, a10, b1);
    }
}
