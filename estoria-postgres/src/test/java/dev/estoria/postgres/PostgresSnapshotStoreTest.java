package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.snapshot.RetentionPolicy;
import dev.estoria.snapshot.Snapshot;
import dev.estoria.storetest.SnapshotStoreContract;
import dev.estoria.typeid.TypeId;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The kit's SnapshotStoreContract with each retention, and retention itself, against PostgreSQL. */
@Timeout(60)
class PostgresSnapshotStoreTest {

    private static final TestDatabase DB = TestDatabase.get();

    /** Opens a fresh schema per test and drops it afterwards. */
    abstract static class InFreshSchema extends SnapshotStoreContract<PostgresSnapshotStore> {
        PostgresEventStore events;

        @Override
        protected PostgresSnapshotStore createStore() {
            events = DB.newStore();
            return open(events);
        }

        abstract PostgresSnapshotStore open(PostgresEventStore events);

        @AfterEach
        void dropSchema() {
            DB.discard(events);
        }
    }

    @Nested
    class KeepAll extends InFreshSchema {
        @Override
        PostgresSnapshotStore open(PostgresEventStore events) {
            return PostgresSnapshotStore.of(events);
        }
    }

    @Nested
    class KeepLastOneInSql extends InFreshSchema {
        @Override
        PostgresSnapshotStore open(PostgresEventStore events) {
            return PostgresSnapshotStore.keepLast(events, 1);
        }
    }

    @Nested
    class KeepLastOnePolicy extends InFreshSchema {
        @Override
        PostgresSnapshotStore open(PostgresEventStore events) {
            return PostgresSnapshotStore.of(events, RetentionPolicy.keepLast(1));
        }
    }

    @Nested
    class Retention {
        private PostgresEventStore events;

        @BeforeEach
        void open() {
            events = DB.newStore();
        }

        @AfterEach
        void drop() {
            DB.discard(events);
        }

        private static Snapshot at(TypeId id, long version) {
            return new Snapshot(id, version, Instant.parse("2026-01-01T00:00:00.123456789Z"), new byte[] {(byte) version}, "");
        }

        @Test
        void keepLastKeepsTheNewestVersionsOnly() {
            PostgresSnapshotStore snapshots = PostgresSnapshotStore.keepLast(events, 2);
            TypeId id = TypeId.newV4("account");
            TypeId other = TypeId.newV4("account");
            snapshots.write(at(other, 1));
            for (int v = 1; v <= 5; v++) {
                snapshots.write(at(id, v));
            }
            assertThat(snapshots.count(id)).isEqualTo(2);
            assertThat(snapshots.read(id).orElseThrow().version()).isEqualTo(5);
            assertThat(snapshots.read(id, 4).orElseThrow().version()).isEqualTo(4);
            assertThat(snapshots.read(id, 3)).isEmpty();
            assertThat(snapshots.count(other)).as("another aggregate's snapshots are untouched").isEqualTo(1);
            // An older version written late is itself pruned.
            snapshots.write(at(id, 2));
            assertThat(snapshots.count(id)).isEqualTo(2);
            assertThat(snapshots.read(id, 3)).isEmpty();
        }

        @Test
        void aGeneralPolicyIsEvaluatedOverTheAggregatesSnapshots() {
            PostgresSnapshotStore snapshots = PostgresSnapshotStore.of(events, RetentionPolicy.minVersion(3));
            TypeId id = TypeId.newV4("account");
            for (int v = 1; v <= 4; v++) {
                snapshots.write(at(id, v));
            }
            assertThat(snapshots.count(id)).isEqualTo(2);
            assertThat(snapshots.read(id, 2)).isEmpty();
        }

        @Test
        void timestampsAreKeptToTheMicrosecond() {
            PostgresSnapshotStore snapshots = PostgresSnapshotStore.of(events);
            TypeId id = TypeId.newV4("account");
            snapshots.write(at(id, 1));
            assertThat(snapshots.read(id).orElseThrow().timestamp()).isEqualTo(Instant.parse("2026-01-01T00:00:00.123456Z"));
        }

        @Test
        void concurrentWritersOfOneAggregateLeaveExactlyTheNewest() throws Exception {
            PostgresSnapshotStore snapshots = PostgresSnapshotStore.keepLast(events, 1);
            TypeId id = TypeId.newV4("account");
            int writers = 8;
            CyclicBarrier start = new CyclicBarrier(writers);
            ExecutorService pool = Executors.newFixedThreadPool(writers);
            try {
                List<Future<?>> done = new ArrayList<>();
                for (int w = 0; w < writers; w++) {
                    int first = w * 10 + 1;
                    done.add(pool.submit(() -> {
                        start.await(30, TimeUnit.SECONDS);
                        for (int v = first; v < first + 10; v++) {
                            snapshots.write(at(id, v));
                        }
                        return null;
                    }));
                }
                for (Future<?> f : done) {
                    f.get(30, TimeUnit.SECONDS);
                }
            } finally {
                pool.shutdownNow();
            }
            assertThat(snapshots.count(id)).isEqualTo(1);
        }
    }
}
