package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.estoria.cli.store.CliStore;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.eventstore.memory.InMemoryEventStore;
import dev.estoria.projection.InMemoryCheckpointStore;
import dev.estoria.snapshot.InMemorySnapshotStore;
import dev.estoria.typeid.TypeId;
import java.io.ByteArrayInputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** A reader that goes away (a closed pipe) stops long listings early instead of reading on. */
class ClosedStdoutTest {

    static final int EVENTS = 5000;

    final CliHarness cli = new CliHarness();
    final AtomicInteger eventsRead = new AtomicInteger();

    @BeforeEach
    void aLongLogReadThroughACountingStore() {
        InMemoryEventStore store = cli.defaultStore();
        List<WritableEvent> events = new ArrayList<>();
        for (int i = 0; i < EVENTS; i++) {
            events.add(WritableEvent.json("counted", "{\"i\":" + i + "}"));
        }
        store.appendStream(TypeId.parse("log_0190f1c2-5ad4-7b6e-9c3a-2f1e0d9c8b7a"), events);
        cli.opener = (target, mode) -> {
            CliStore real = CliStore.of(store, InMemoryCheckpointStore.create(), InMemorySnapshotStore.create(), () -> { });
            return new CliStore() {
                @Override
                public List<Event> appendStream(TypeId id, List<WritableEvent> e,
                        dev.estoria.eventstore.AppendStreamOptions o) {
                    return real.appendStream(id, e, o);
                }

                @Override
                public StreamIterator readStream(TypeId id, dev.estoria.eventstore.ReadStreamOptions o) {
                    return real.readStream(id, o);
                }

                @Override
                public StreamIterator readAll(ReadAllOptions options) {
                    StreamIterator all = real.readAll(options);
                    return new StreamIterator() {
                        @Override
                        public boolean hasNext() {
                            return all.hasNext();
                        }

                        @Override
                        public Event next() {
                            eventsRead.incrementAndGet();
                            return all.next();
                        }

                        @Override
                        public void close() {
                            all.close();
                        }
                    };
                }

                @Override
                public void deleteStream(TypeId id, dev.estoria.eventstore.DeleteStreamOptions o) {
                    real.deleteStream(id, o);
                }

                @Override
                public List<dev.estoria.eventstore.StreamInfo> listStreams() {
                    return real.listStreams();
                }

                @Override
                public AutoCloseable onAppend(Runnable listener) {
                    return real.onAppend(listener);
                }

                @Override
                public dev.estoria.projection.CheckpointStore checkpoints() {
                    return real.checkpoints();
                }

                @Override
                public dev.estoria.snapshot.SnapshotStore snapshots() {
                    return real.snapshots();
                }

                @Override
                public void close() {}
            };
        };
    }

    int runWithClosedStdout(StringWriter err, String... args) {
        CliHarness.LineWriter out = new CliHarness.LineWriter();
        out.closed = true;
        return cli.run(new ByteArrayInputStream(new byte[0]), new PrintWriter(out), new PrintWriter(err), args);
    }

    @Test
    void readAllStopsQuietly() {
        StringWriter err = new StringWriter();

        int code = runWithClosedStdout(err, "read-all");

        assertThat(code).isZero();
        assertThat(err.toString()).isEmpty();
        assertThat(eventsRead.get()).isEqualTo(OutputOptions.CHECK_EVERY);
    }

    @Test
    void anExportThatCannotBeWrittenFails() {
        StringWriter err = new StringWriter();

        int code = runWithClosedStdout(err, "export");

        assertThat(code).isEqualTo(ExitCodes.STORE_ERROR);
        assertThat(err.toString()).isEqualTo("error: I/O error: cannot write the export to stdout\n");
        assertThat(eventsRead.get()).isEqualTo(OutputOptions.CHECK_EVERY);
    }

    @Test
    void withAWorkingStdoutEverythingIsRead() {
        assertThat(cli.run("read-all").outLines()).hasSize(EVENTS);
        assertThat(eventsRead.get()).isEqualTo(EVENTS);
    }
}
