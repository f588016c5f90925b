package dev.estoria.sqlite;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.typeid.TypeId;
import java.io.BufferedReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Two processes appending to one file at once both work, sharing one global order. */
@Timeout(120)
class TwoProcessTest {

    @TempDir
    Path directory;

    private static void release(OutputStream childInput) throws java.io.IOException {
        childInput.write("GO\n".getBytes(StandardCharsets.UTF_8));
        childInput.flush();
    }

    @Test
    @DisplayName("a child JVM and this JVM append to one file at once; every acknowledged append is there, in one order")
    void twoProcessesShareAFile() throws Exception {
        Path file = directory.resolve("shared.db");
        TypeId childStream = TypeId.newV4("child");
        TypeId parentStream = TypeId.newV4("parent");
        TypeId shared = TypeId.newV4("shared");
        // SQLite's write lock is not fair: a process waiting for it polls with growing sleeps while
        // the other may take it again right after each commit, so a fast child can starve this
        // process for its whole second half. The child's PAUSE makes the interleaving certain: it
        // waits there until an append this process began after the pause has finished.
        int rounds = 200;
        List<Ack> acks = new ArrayList<>();
        List<Ack> childAcks = new ArrayList<>();
        ExecutorService pool = Executors.newSingleThreadExecutor();
        try (SqliteEventStore store = SqliteEventStore.open(file, WriterChild.SHARING)) {
            Path stderr = directory.resolve("child.err");
            Process child = ChildJvm.start(WriterChild.class, List.of("-Xmx64m"),
                    List.of(file.toString(), childStream.toString(), shared.toString(), Integer.toString(rounds)), stderr);
            AtomicBoolean childDone = new AtomicBoolean();
            ParentProgress progress = new ParentProgress();
            Future<List<Ack>> parentWrites = null;
            try (BufferedReader out = ChildJvm.stdout(child); OutputStream in = child.getOutputStream()) {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.equals("HALF")) {
                        // From here on both processes write at once: this one until the child is done.
                        parentWrites = pool.submit(() -> {
                            List<Ack> mine = new ArrayList<>();
                            boolean released = false;
                            try {
                                while (!childDone.get() || mine.size() < 20) {
                                    progress.begin();
                                    mine.add(Ack.parse(Ack.line(parentStream,
                                            store.appendStream(parentStream, WriterChild.batch("parent", 2)))));
                                    progress.end();
                                    mine.add(Ack.parse(Ack.line(shared,
                                            WriterChild.appendExpectingTip(store, shared, WriterChild.batch("parent", 1)))));
                                    if (!released) {
                                        release(in);
                                        released = true;
                                    }
                                }
                            } finally {
                                if (!released) {
                                    // Even if this side failed, let the child finish so the test ends.
                                    release(in);
                                }
                            }
                            return mine;
                        });
                    } else if (line.equals("PAUSE")) {
                        assertThat(parentWrites).isNotNull();
                        progress.awaitOneBegunFromNow(parentWrites);
                        release(in);
                    } else if (line.equals("DONE")) {
                        childDone.set(true);
                    } else {
                        Ack ack = Ack.parse(line);
                        assertThat(ack).as("line from the child: %s", line).isNotNull();
                        childAcks.add(ack);
                    }
                }
                assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
                assertThat(child.exitValue()).as("child exit; stderr:%n%s", ChildJvm.errors(stderr)).isZero();
                assertThat(childDone).isTrue();
                assertThat(parentWrites).isNotNull();
                acks.addAll(parentWrites.get(60, TimeUnit.SECONDS));
            }
            acks.addAll(childAcks);
            assertThat(childAcks).hasSize(2 * rounds);

            List<Event> log;
            try (StreamIterator it = store.readAll()) {
                log = it.toList();
            }
            Map<UUID, Event> byId = new HashMap<>();
            long previous = 0;
            Map<TypeId, Long> tips = new HashMap<>();
            for (Event e : log) {
                assertThat(e.globalPosition().orElseThrow()).isGreaterThan(previous);
                previous = e.globalPosition().orElseThrow();
                long version = tips.getOrDefault(e.streamId(), 0L) + 1;
                assertThat(e.streamVersion()).isEqualTo(version);
                tips.put(e.streamId(), version);
                byId.put(e.id().uuid(), e);
            }
            int acknowledgedEvents = 0;
            for (Ack ack : acks) {
                for (int i = 0; i < ack.count(); i++) {
                    Event stored = byId.get(ack.eventIds().get(i));
                    assertThat(stored).as("acknowledged event of %s", ack).isNotNull();
                    assertThat(stored.streamId()).isEqualTo(ack.stream());
                    assertThat(stored.streamVersion()).isEqualTo(ack.firstVersion() + i);
                    assertThat(stored.globalPosition()).hasValue(ack.positions().get(i));
                    acknowledgedEvents++;
                }
            }
            assertThat(log).as("nothing but acknowledged events").hasSize(acknowledgedEvents);
            // The shared stream took exact-version appends from both processes: one success per version.
            long sharedFromChild = childAcks.stream().filter(a -> a.stream().equals(shared)).count();
            assertThat(tips.get(shared)).isEqualTo(acks.stream().filter(a -> a.stream().equals(shared)).count());
            assertThat(sharedFromChild).isEqualTo(rounds);
            // The two processes' writes interleave in the global order.
            List<Long> childPositions = childAcks.stream().flatMap(a -> a.positions().stream()).toList();
            long lastChild = childPositions.get(childPositions.size() - 1);
            long firstChildSecondHalf = childAcks.get(rounds).positions().get(0);
            assertThat(log).anySatisfy(e -> {
                assertThat(e.type()).isEqualTo("written.by.parent");
                assertThat(e.globalPosition().orElseThrow()).isBetween(firstChildSecondHalf, lastChild);
            });
        } finally {
            pool.shutdownNow();
        }
    }

    /** Counts this process's appends so the test can wait for one begun after a given moment. */
    private static final class ParentProgress {
        private long begun;
        private long finished;

        synchronized void begin() {
            begun++;
        }

        synchronized void end() {
            finished++;
            notifyAll();
        }

        /** Waits until an append begun after this call has finished, or fails if the writer stops. */
        synchronized void awaitOneBegunFromNow(Future<?> writer) throws Exception {
            long target = begun + 1;
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
            while (finished < target) {
                if (writer.isDone()) {
                    writer.get(); // throws the writer's failure
                    throw new AssertionError("the parent's writer stopped before the child's pause ended");
                }
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    throw new AssertionError("no parent append finished within 60 s of the child's pause");
                }
                // Woken by end(); the bounded wait only lets a stopped writer be noticed.
                wait(Math.min(TimeUnit.NANOSECONDS.toMillis(left) + 1, 100));
            }
        }
    }
}
