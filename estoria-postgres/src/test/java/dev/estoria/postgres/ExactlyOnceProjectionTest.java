package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Exactly-once read models across a crash: a separate JVM runs the counting projection
 * ({@link ExactlyOnceChild}) over pre-written events, is killed with SIGKILL in the middle of a
 * batch transaction, and is started again; every event ends up counted exactly once.
 */
@Timeout(120)
class ExactlyOnceProjectionTest {

    private static final int STREAMS = 30;
    private static final int EVENTS_PER_STREAM = 100;
    private static final int TOTAL = STREAMS * EVENTS_PER_STREAM;
    private static final int BATCH = 200;

    private final TestDatabase db = TestDatabase.get();
    private PostgresEventStore store;
    private String q;

    @BeforeEach
    void writeEvents() throws Exception {
        store = db.newStore();
        q = '"' + store.options().schema() + "\".";
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            s.execute("CREATE TABLE " + q + "rm_counts (stream_uuid uuid PRIMARY KEY, n integer NOT NULL)");
            s.execute("CREATE TABLE " + q + "rm_handled (event_uuid uuid PRIMARY KEY, position bigint NOT NULL)");
        }
        for (int i = 0; i < STREAMS; i++) {
            TypeId stream = TypeId.newV4("counted");
            try (Connection c = db.connect();
                    PreparedStatement s = c.prepareStatement("INSERT INTO " + q + "rm_counts VALUES (?, 0)")) {
                s.setObject(1, stream.uuid());
                s.executeUpdate();
            }
            List<WritableEvent> events = new ArrayList<>();
            for (int e = 0; e < EVENTS_PER_STREAM; e++) {
                events.add(WritableEvent.of("ticked", new byte[] {(byte) e}));
            }
            store.appendStream(stream, events);
        }
    }

    @AfterEach
    void drop() {
        db.discard(store);
    }

    private Process child(long blockAt) throws Exception {
        String java = System.getProperty("java.home") + File.separator + "bin" + File.separator + "java";
        ProcessBuilder pb = new ProcessBuilder(java, "--enable-native-access=ALL-UNNAMED", "-cp",
                System.getProperty("java.class.path"), ExactlyOnceChild.class.getName(), db.jdbcUrl,
                store.options().schema(), Integer.toString(BATCH), Long.toString(blockAt));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return pb.start();
    }

    /** Reads the child's output until a line starting with {@code prefix}; fails on end of output. */
    private static String awaitLine(Process p, BufferedReader out, String prefix) throws Exception {
        String line;
        while ((line = out.readLine()) != null) {
            if (line.startsWith(prefix)) {
                return line;
            }
        }
        p.waitFor(10, TimeUnit.SECONDS);
        throw new AssertionError("child ended (exit " + (p.isAlive() ? "none" : p.exitValue()) + ") before printing "
                + prefix);
    }

    private long scalar(String sql) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getLong(1);
        }
    }

    @Test
    void killedMidBatchAndRestartedCountsEveryEventExactlyOnce() throws Exception {
        List<Long> positions = store.readAll(ReadAllOptions.defaults()).toList().stream()
                .map(e -> e.globalPosition().orElseThrow()).toList();
        assertThat(positions).hasSize(TOTAL);

        // First run: killed while its 8th batch (events 1401..1600) is open, after 7 committed batches.
        long blockAt = 7L * BATCH + BATCH / 2;
        Process first = child(blockAt);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(first.getInputStream(), StandardCharsets.UTF_8))) {
            String mid = awaitLine(first, out, "MID ");
            assertThat(Long.parseLong(mid.substring(4))).isEqualTo(positions.get((int) blockAt - 1));
            first.destroyForcibly();
            assertThat(first.waitFor(30, TimeUnit.SECONDS)).isTrue();
        }
        // The open batch is gone with the process; the committed ones stay, with their checkpoint.
        long checkpoint = PostgresCheckpointStore.of(store).load(ExactlyOnceChild.PROJECTION).orElseThrow().position();
        assertThat(checkpoint).isEqualTo(positions.get(7 * BATCH - 1));
        awaitRolledBack(7L * BATCH);

        // Second run: resumes after the checkpoint and catches up.
        Process second = child(0);
        try (BufferedReader out = new BufferedReader(new InputStreamReader(second.getInputStream(), StandardCharsets.UTF_8))) {
            String done = awaitLine(second, out, "CAUGHT_UP ");
            assertThat(Long.parseLong(done.substring(10))).isEqualTo(positions.get(TOTAL - 1));
            assertThat(second.waitFor(30, TimeUnit.SECONDS)).isTrue();
            assertThat(second.exitValue()).isZero();
        }

        assertThat(scalar("SELECT count(*) FROM " + q + "rm_handled")).isEqualTo(TOTAL);
        assertThat(scalar("SELECT count(*) FROM " + q + "rm_counts WHERE n <> " + EVENTS_PER_STREAM)).isZero();
        assertThat(scalar("SELECT sum(n) FROM " + q + "rm_counts")).isEqualTo(TOTAL);
        assertThat(scalar("SELECT count(*) FROM " + q + "rm_handled h JOIN " + q + "events e ON e.event_uuid = h.event_uuid"
                + " AND e.position = h.position")).isEqualTo(TOTAL);
        assertThat(PostgresCheckpointStore.of(store).load(ExactlyOnceChild.PROJECTION).orElseThrow().position())
                .isEqualTo(positions.get(TOTAL - 1));
    }

    /**
     * Waits until the killed child's open transaction is gone: the server rolls it back once it sees
     * the connection closed. Waits on the rows themselves (a lock wait), not on time.
     */
    private void awaitRolledBack(long committedEvents) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement()) {
            // Blocks while the dead session still holds the count rows' locks.
            c.setAutoCommit(false);
            s.execute("SET LOCAL lock_timeout = '20s'");
            s.execute("SELECT * FROM " + q + "rm_counts FOR UPDATE");
            try (ResultSet rs = s.executeQuery("SELECT count(*) FROM " + q + "rm_handled")) {
                rs.next();
                assertThat(rs.getLong(1)).isEqualTo(committedEvents);
            }
            c.rollback();
        }
        assertThat(scalar("SELECT sum(n) FROM " + q + "rm_counts")).isEqualTo(committedEvents);
    }
}
