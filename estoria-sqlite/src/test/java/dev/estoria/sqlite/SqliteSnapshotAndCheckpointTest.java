package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.projection.Checkpoint;
import dev.estoria.projection.ProjectionId;
import dev.estoria.snapshot.RetentionPolicy;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.typeid.TypeId;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the kit's contracts leave open: retention in the write's transaction, durability, exact values, sharing. */
class SqliteSnapshotAndCheckpointTest {

    @TempDir
    Path directory;

    private Path file;
    private SqliteEventStore store;

    @BeforeEach
    void open() {
        file = directory.resolve("events.db");
        store = SqliteEventStore.open(file);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private static Snapshot snapshot(TypeId id, long version) {
        return new Snapshot(id, version, Instant.parse("2026-11-27T12:00:00Z"), new byte[] {(byte) version}, "t");
    }

    private long rows(String sql) throws Exception {
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            return SqliteFileTest.intQuery(c, sql);
        }
    }

    @Test
    @DisplayName("keepLast(n) prunes in the write's transaction: the table never holds more than n rows of an aggregate")
    void keepLastPrunesRows() throws Exception {
        TypeId id = TypeId.newV4("account");
        TypeId other = TypeId.newV4("account");
        SqliteSnapshotStore snapshots = SqliteSnapshotStore.keepLast(store, 2);
        SqliteSnapshotStore.of(store).write(snapshot(other, 1));
        for (int v = 1; v <= 5; v++) {
            snapshots.write(snapshot(id, v));
            assertThat(rows("SELECT count(*) FROM estoria_snapshots WHERE aggregate_type = 'account'"))
                    .isEqualTo(Math.min(v, 2) + 1);
        }
        assertThat(snapshots.read(id, 3)).isEmpty();
        assertThat(snapshots.read(id, 4).orElseThrow().version()).isEqualTo(4);
        assertThat(snapshots.read(other).orElseThrow().version()).isEqualTo(1);
        // An older snapshot written late is pruned at once, as the newest two are kept.
        snapshots.write(snapshot(id, 1));
        assertThat(snapshots.read(id, 3)).isEmpty();
        assertThatThrownBy(() -> SqliteSnapshotStore.keepLast(store, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("any retention policy is applied to the aggregate's snapshots in ascending version")
    void policyApplied() throws Exception {
        TypeId id = TypeId.newV4("account");
        SqliteSnapshotStore snapshots = SqliteSnapshotStore.of(store, RetentionPolicy.minVersion(3));
        for (int v = 1; v <= 4; v++) {
            snapshots.write(snapshot(id, v));
        }
        assertThat(rows("SELECT count(*) FROM estoria_snapshots")).isEqualTo(2);
        assertThat(snapshots.read(id, 2)).isEmpty();
        assertThat(snapshots.read(id, 3).orElseThrow().version()).isEqualTo(3);
    }

    @Test
    @DisplayName("a snapshot keeps its time to the nanosecond, replaces one of the same version, and survives reopening")
    void exactAndDurable() {
        TypeId id = TypeId.newV4("account");
        Instant at = Instant.parse("1969-07-20T20:17:40.123456789Z");
        SqliteSnapshotStore.of(store).write(new Snapshot(id, 3, at, new byte[] {1}, "a"));
        SqliteSnapshotStore.of(store).write(new Snapshot(id, 3, at, new byte[] {2, 2}, "b"));
        store.close();
        store = SqliteEventStore.open(file);
        assertThat(SqliteSnapshotStore.of(store).read(id)).hasValue(new Snapshot(id, 3, at, new byte[] {2, 2}, "b"));
    }

    @Test
    @DisplayName("text UTF-8 cannot hold is refused with nothing written, and a type that cannot exist reads as absent")
    void unstorableText() throws Exception {
        TypeId bad = TypeId.of("account\uD800", TypeId.randomV4());
        SqliteSnapshotStore snapshots = SqliteSnapshotStore.of(store);
        assertThatThrownBy(() -> snapshots.write(snapshot(bad, 1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("aggregate type");
        assertThatThrownBy(() -> snapshots.write(new Snapshot(TypeId.newV4("account"), 1, Instant.EPOCH,
                new byte[0], "text/\uDC00"))).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("content type");
        assertThat(snapshots.read(bad)).isEmpty();
        assertThat(rows("SELECT count(*) FROM estoria_snapshots")).isZero();
    }

    @Test
    @DisplayName("snapshot and checkpoint writes interleave with concurrent appends through the one writer, none failing")
    void writesShareTheWriter() throws Exception {
        int threads = 6;
        int rounds = 40;
        CyclicBarrier start = new CyclicBarrier(threads);
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        SqliteSnapshotStore snapshots = SqliteSnapshotStore.keepLast(store, 1);
        SqliteCheckpointStore checkpoints = SqliteCheckpointStore.of(store);
        TypeId aggregate = TypeId.newV4("account");
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int kind = t % 3;
                done.add(pool.submit(() -> {
                    start.await();
                    TypeId stream = TypeId.newV4("account");
                    for (int i = 1; i <= rounds; i++) {
                        switch (kind) {
                            case 0 -> store.appendStream(stream, List.of(WritableEvent.json("deposited", "{}")));
                            case 1 -> snapshots.write(snapshot(aggregate, i));
                            default -> checkpoints.save(ProjectionId.of("p" + Thread.currentThread().threadId(), 1), i);
                        }
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(snapshots.read(aggregate).orElseThrow().version()).isEqualTo(rounds);
        assertThat(rows("SELECT count(*) FROM estoria_snapshots")).isEqualTo(1);
        assertThat(checkpoints.list()).hasSize(threads / 3).allSatisfy(c -> assertThat(c.position()).isEqualTo(rounds));
        assertThat(rows("SELECT count(*) FROM events")).isEqualTo((long) threads / 3 * rounds);
    }

    @Test
    @DisplayName("updatedAt is in microseconds and strictly increases per checkpoint, within one microsecond and when the clock steps back")
    void updatedAtStrictlyIncreases() {
        Instant fixed = Instant.parse("2026-11-27T12:00:00.000001999Z");
        AtomicReference<Instant> now = new AtomicReference<>(fixed);
        Clock clock = new Clock() {
            @Override
            public java.time.ZoneId getZone() {
                return ZoneOffset.UTC;
            }

            @Override
            public Clock withZone(java.time.ZoneId zone) {
                return this;
            }

            @Override
            public Instant instant() {
                return now.get();
            }
        };
        SqliteCheckpointStore checkpoints = SqliteCheckpointStore.of(store, clock);
        ProjectionId id = ProjectionId.of("balances", 1);
        ProjectionId other = ProjectionId.of("balances", 2);
        checkpoints.save(id, 1);
        checkpoints.save(other, 1);
        assertThat(checkpoints.load(id).orElseThrow().updatedAt()).isEqualTo(Instant.parse("2026-11-27T12:00:00.000001Z"));
        checkpoints.save(id, 2);
        checkpoints.save(id, 2);
        assertThat(checkpoints.load(id).orElseThrow().updatedAt()).isEqualTo(Instant.parse("2026-11-27T12:00:00.000003Z"));
        now.set(fixed.minusSeconds(3600));
        checkpoints.save(id, 3);
        Checkpoint stepped = checkpoints.load(id).orElseThrow();
        assertThat(stepped.updatedAt()).isEqualTo(Instant.parse("2026-11-27T12:00:00.000004Z"));
        assertThat(stepped.position()).isEqualTo(3);
        // Rows are independent.
        assertThat(checkpoints.load(other).orElseThrow().updatedAt()).isEqualTo(Instant.parse("2026-11-27T12:00:00.000001Z"));
    }

    @Test
    @DisplayName("checkpoints are shared by store instances on one file and survive reopening")
    void checkpointsShared() {
        ProjectionId id = ProjectionId.of("orders", 3);
        try (SqliteEventStore second = SqliteEventStore.open(file)) {
            SqliteCheckpointStore.of(second).save(id, 77);
        }
        assertThat(SqliteCheckpointStore.of(store).load(id).orElseThrow().position()).isEqualTo(77);
        store.close();
        store = SqliteEventStore.open(file);
        assertThat(SqliteCheckpointStore.of(store).list()).extracting(Checkpoint::projectionId).containsExactly(id);
        assertThat(SqliteCheckpointStore.of(store).delete(id)).isTrue();
        assertThat(SqliteCheckpointStore.of(store).list()).isEmpty();
    }
}
