package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamInfo;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.sqlite.SqliteOptions.Durability;
import dev.estoria.typeid.TypeId;
import java.io.BufferedReader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Kills a child JVM with SIGKILL while it appends, then checks the file: every acknowledged append
 * is there in full, no append (nor multi-stream append) is partial, versions are gapless and
 * positions strictly increase.
 *
 * <p>{@code -Destoria.crash.cycles=N} sets the number of kill cycles (20 by default).
 */
class CrashSafetyTest {

    @TempDir
    Path directory;

    /** Where an acknowledged event must be found. */
    private record Expected(TypeId stream, long version, long position) {
    }

    @Test
    @DisplayName("SIGKILL during concurrent appends loses no acknowledged append and leaves no partial one")
    void killCycles() throws Exception {
        int cycles = Integer.getInteger("estoria.crash.cycles", 20);
        long seed = Long.getLong("estoria.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        Path file = directory.resolve("crash.db");
        List<TypeId> streams = List.of(TypeId.newV4("crash"), TypeId.newV4("crash"), TypeId.newV4("crash"),
                TypeId.newV4("crash"));
        String streamArg = streams.stream().map(TypeId::toString).collect(Collectors.joining(","));
        Map<UUID, Expected> acknowledged = new HashMap<>();
        int totalAcks = 0;
        for (int cycle = 0; cycle < cycles; cycle++) {
            Durability durability = cycle % 2 == 0 ? Durability.FULL : Durability.NORMAL;
            int target = 1 + random.nextInt(60);
            Path stderr = directory.resolve("child-" + cycle + ".err");
            Process child = ChildJvm.start(CrashChild.class, List.of("-Xmx64m"),
                    List.of(file.toString(), durability.name(), "4", streamArg), stderr);
            int acks = 0;
            try (BufferedReader out = ChildJvm.stdout(child)) {
                String line;
                while (acks < target && (line = out.readLine()) != null) {
                    Ack ack = Ack.parse(line);
                    if (ack != null) {
                        record(acknowledged, ack);
                        acks++;
                    }
                }
                assertThat(acks).as("acknowledgements before the kill in cycle %d (seed %d); child stderr:%n%s",
                        cycle, seed, ChildJvm.errors(stderr)).isEqualTo(target);
                // SIGKILL on Linux. Through the handle, because Process.destroyForcibly also closes
                // our end of the pipe, losing lines the child wrote before it died.
                assertThat(child.toHandle().destroyForcibly()).isTrue();
                assertThat(child.waitFor(30, TimeUnit.SECONDS)).isTrue();
                // Lines the child finished writing before it died were acknowledged too.
                while ((line = out.readLine()) != null) {
                    Ack ack = Ack.parse(line);
                    if (ack != null) {
                        record(acknowledged, ack);
                        acks++;
                    }
                }
            }
            totalAcks += acks;
            verify(file, acknowledged, "cycle " + cycle + " (seed " + seed + ")");
        }
        System.out.printf("crash safety: %d kill cycles, %d acknowledged appends, %d events checked%n",
                cycles, totalAcks, acknowledged.size());
    }

    private static void record(Map<UUID, Expected> acknowledged, Ack ack) {
        for (int i = 0; i < ack.count(); i++) {
            acknowledged.put(ack.eventIds().get(i),
                    new Expected(ack.stream(), ack.firstVersion() + i, ack.positions().get(i)));
        }
    }

    private static void verify(Path file, Map<UUID, Expected> acknowledged, String when) throws Exception {
        List<Event> log;
        List<StreamInfo> listed;
        try (SqliteEventStore store = SqliteEventStore.open(file)) {
            try (StreamIterator it = store.readAll()) {
                log = it.toList();
            }
            listed = store.listStreams();
        }
        try (Connection c = DriverManager.getConnection("jdbc:sqlite:" + file)) {
            assertThat(SqliteFileTest.stringQuery(c, "PRAGMA integrity_check")).as("integrity after %s", when).isEqualTo("ok");
        }
        Map<UUID, Event> byId = new HashMap<>();
        Map<TypeId, Long> tips = new HashMap<>();
        Map<String, List<Event>> batches = new HashMap<>();
        Map<String, List<Event>> calls = new HashMap<>();
        long previous = 0;
        for (Event e : log) {
            long position = e.globalPosition().orElseThrow();
            assertThat(position).as("positions strictly increase after %s", when).isGreaterThan(previous);
            previous = position;
            long expectedVersion = tips.getOrDefault(e.streamId(), 0L) + 1;
            assertThat(e.streamVersion()).as("gapless versions of %s after %s", e.streamId(), when)
                    .isEqualTo(expectedVersion);
            tips.put(e.streamId(), expectedVersion);
            byId.put(e.id().uuid(), e);
            batches.computeIfAbsent(e.metadata().get("batch"), k -> new ArrayList<>()).add(e);
            calls.computeIfAbsent(e.metadata().get("call"), k -> new ArrayList<>()).add(e);
        }
        for (List<Event> call : calls.values()) {
            assertThat(call).as("a whole multi-stream append after %s: %s", when, call)
                    .hasSize(Integer.parseInt(call.get(0).metadata().get("callSize")));
        }
        assertThat(listed).as("stream tips after %s", when)
                .allSatisfy(info -> assertThat(info.version()).isEqualTo(tips.get(info.streamId())));
        assertThat(listed).hasSize(tips.size());
        for (List<Event> batch : batches.values()) {
            int size = Integer.parseInt(batch.get(0).metadata().get("size"));
            assertThat(batch).as("a whole append after %s: %s", when, batch).hasSize(size);
            for (int i = 0; i < size; i++) {
                Event e = batch.get(i);
                assertThat(e.metadata().get("index")).isEqualTo(Integer.toString(i));
                assertThat(e.streamVersion()).isEqualTo(batch.get(0).streamVersion() + i);
                assertThat(e.globalPosition().orElseThrow()).isEqualTo(batch.get(0).globalPosition().orElseThrow() + i);
            }
        }
        for (Map.Entry<UUID, Expected> entry : acknowledged.entrySet()) {
            Event stored = byId.get(entry.getKey());
            Expected expected = entry.getValue();
            assertThat(stored).as("acknowledged event %s after %s", entry.getKey(), when).isNotNull();
            assertThat(stored.streamId()).isEqualTo(expected.stream());
            assertThat(stored.streamVersion()).isEqualTo(expected.version());
            assertThat(stored.globalPosition()).hasValue(expected.position());
        }
    }
}
