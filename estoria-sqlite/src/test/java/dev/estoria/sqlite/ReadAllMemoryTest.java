package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.io.BufferedReader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A global read streams from a cursor: a child JVM whose heap is far smaller than the events it
 * reads gets through all of them.
 *
 * <p>{@code -Destoria.readall.events=N} sets the number of events (200,000 by default; each holds
 * a 256-byte payload, so the read moves about 50 MB of payload through a 24 MB heap, and several
 * times that in event objects).
 */
class ReadAllMemoryTest {

    @TempDir
    Path directory;

    @Test
    @DisplayName("readAll of far more data than the heap holds runs in a 24 MB heap")
    void readAllStreams() throws Exception {
        int total = Integer.getInteger("estoria.readall.events", 200_000);
        int payloadSize = 256;
        Path file = directory.resolve("large.db");
        TypeId stream = TypeId.newV4("bulk");
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            store.appendStream(stream, List.of(WritableEvent.of("filled", new byte[payloadSize])));
        }
        // The rest is filled in bulk by SQLite itself: this test is about reading, and appending
        // event by event would spend most of its time here.
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file);
                Statement s = c.createStatement()) {
            s.execute("BEGIN IMMEDIATE");
            s.execute("WITH RECURSIVE n(i) AS (SELECT 2 UNION ALL SELECT i + 1 FROM n WHERE i < " + total + ") "
                    + "INSERT INTO events (stream_id, stream_type, version, event_uuid, event_type, recorded_us, data, content_type, metadata) "
                    + "SELECT '" + stream + "', 'bulk', i, randomblob(16), 'filled', i, randomblob(" + payloadSize + "), '', x'' FROM n");
            s.execute("UPDATE streams SET version = " + total);
            s.execute("COMMIT");
        }
        Path stderr = directory.resolve("reader.err");
        Process child = ChildJvm.start(ReadAllChild.class, List.of("-Xmx24m", "-XX:+UseSerialGC"),
                List.of(file.toString()), stderr);
        String result;
        try (BufferedReader out = ChildJvm.stdout(child)) {
            result = out.readLine();
        }
        assertThat(child.waitFor(120, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as("reader exit; stderr:%n%s", ChildJvm.errors(stderr)).isZero();
        assertThat(result).isEqualTo("OK " + total + " " + (long) total * payloadSize);
    }
}
