package dev.estoria.storetest.selfcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectClass;

import dev.estoria.eventstore.AppendStreamOptions;
import dev.estoria.eventstore.DeleteStreamOptions;
import dev.estoria.eventstore.Event;
import dev.estoria.eventstore.ReadAllOptions;
import dev.estoria.eventstore.ReadStreamOptions;
import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamNotFoundException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.storetest.DeletionGlobalReadContract;
import dev.estoria.storetest.EventStoreContract;
import dev.estoria.storetest.GlobalReaderContract;
import dev.estoria.storetest.StreamDeleterContract;
import dev.estoria.typeid.TypeId;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Runs the kit against stores with one deliberate fault each and checks that the kit fails them:
 * a kit that passes a broken store would certify nothing.
 */
class KitCatchesFaultsTest {

    private static TestExecutionSummary run(Class<?> testClass) {
        return run(testClass.getName());
    }

    private static TestExecutionSummary run(String testClass) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectClass(testClass)).build();
        Launcher launcher = LauncherFactory.create();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        launcher.execute(request, listener);
        return listener.getSummary();
    }

    private static List<String> failedTests(TestExecutionSummary summary) {
        return summary.getFailures().stream().map(f -> f.getTestIdentifier().getDisplayName()).collect(Collectors.toList());
    }

    /** Ignores every expectation. */
    static class IgnoresExpectations extends FaultyStore {
        @Override
        public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
            return delegate.appendStream(streamId, events, AppendStreamOptions.defaults());
        }
    }

    /** Stores JSON as the content type when none was declared. */
    static class DefaultsContentType extends FaultyStore {
        @Override
        public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
            List<WritableEvent> changed = new ArrayList<>();
            for (WritableEvent e : events) {
                changed.add(e.contentType().isEmpty() ? e.withContentType("application/json") : e);
            }
            return delegate.appendStream(streamId, changed, options);
        }
    }

    /** Treats reverse after-version as exclusive. */
    static class ExclusiveReverseBound extends FaultyStore {
        @Override
        public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
            if (options.afterVersion() > 1 && options.direction() == dev.estoria.eventstore.Direction.REVERSE) {
                return delegate.readStream(streamId, options.afterVersion(options.afterVersion() - 1));
            }
            return delegate.readStream(streamId, options);
        }
    }

    /** A global read that goes live: it re-reads after its frontier instead of ending. */
    static class LiveGlobalRead extends FaultyStore {
        @Override
        public StreamIterator readAll(ReadAllOptions options) {
            return new StreamIterator() {
                long last = options.afterPosition();
                long served;
                StreamIterator current;

                private StreamIterator current() {
                    if (current == null || !current.hasNext()) {
                        current = delegate.readAll(ReadAllOptions.after(last));
                    }
                    return current;
                }

                @Override
                public boolean hasNext() {
                    return (options.count() == 0 || served < options.count()) && current().hasNext();
                }

                @Override
                public Event next() {
                    if (!hasNext()) {
                        throw new NoSuchElementException();
                    }
                    Event e = current().next();
                    last = e.globalPosition().orElseThrow();
                    served++;
                    return e;
                }

                @Override
                public void close() {
                }
            };
        }
    }

    /** Reports a stream truncated to empty as missing. */
    static class TruncatedIsMissing extends FaultyStore {
        @Override
        public StreamIterator readStream(TypeId streamId, ReadStreamOptions options) {
            StreamIterator it = delegate.readStream(streamId, options);
            if (!it.hasNext() && delegate.readStream(streamId, ReadStreamOptions.defaults()).toList().isEmpty()) {
                it.close();
                throw new StreamNotFoundException(streamId);
            }
            return it;
        }
    }

    /** Keeps deleted events in the global read. */
    static class DeletionInvisibleGlobally extends FaultyStore {
        final List<Event> all = new ArrayList<>();

        @Override
        public List<Event> appendStream(TypeId streamId, List<WritableEvent> events, AppendStreamOptions options) {
            List<Event> written = delegate.appendStream(streamId, events, options);
            all.addAll(written);
            return written;
        }

        @Override
        public StreamIterator readAll(ReadAllOptions options) {
            return StreamIterator.of(all.stream()
                    .filter(e -> e.globalPosition().orElseThrow() > options.afterPosition()).toList());
        }

        @Override
        public void deleteStream(TypeId streamId, DeleteStreamOptions options) {
            delegate.deleteStream(streamId, options);
        }
    }

    public static class IgnoresExpectationsKit extends EventStoreContract<IgnoresExpectations> {
        @Override
        protected IgnoresExpectations createStore() {
            return new IgnoresExpectations();
        }
    }

    public static class DefaultsContentTypeKit extends EventStoreContract<DefaultsContentType> {
        @Override
        protected DefaultsContentType createStore() {
            return new DefaultsContentType();
        }
    }

    public static class ExclusiveReverseBoundKit extends EventStoreContract<ExclusiveReverseBound> {
        @Override
        protected ExclusiveReverseBound createStore() {
            return new ExclusiveReverseBound();
        }
    }

    public static class LiveGlobalReadKit extends GlobalReaderContract<LiveGlobalRead> {
        @Override
        protected LiveGlobalRead createStore() {
            return new LiveGlobalRead();
        }
    }

    public static class TruncatedIsMissingKit extends StreamDeleterContract<TruncatedIsMissing> {
        @Override
        protected TruncatedIsMissing createStore() {
            return new TruncatedIsMissing();
        }
    }

    public static class DeletionInvisibleGloballyKit extends DeletionGlobalReadContract<DeletionInvisibleGlobally> {
        @Override
        protected DeletionInvisibleGlobally createStore() {
            return new DeletionInvisibleGlobally();
        }
    }

    @Test
    void ignoredExpectationsAreCaught() {
        List<String> failed = failedTests(run(IgnoresExpectationsKit.class));
        assertThat(failed).anyMatch(name -> name.startsWith("ES-12 "));
        assertThat(failed).anyMatch(name -> name.startsWith("ES-14 "));
        assertThat(failed).anyMatch(name -> name.startsWith("16 threads racing"));
    }

    @Test
    void defaultedContentTypeIsCaught() {
        assertThat(failedTests(run(DefaultsContentTypeKit.class))).anyMatch(name -> name.startsWith("ES-05 "));
    }

    @Test
    void exclusiveReverseBoundIsCaught() {
        assertThat(failedTests(run(ExclusiveReverseBoundKit.class))).anyMatch(name -> name.startsWith("ES-09b "));
    }

    @Test
    void liveGlobalReadIsCaught() {
        List<String> failed = failedTests(run(LiveGlobalReadKit.class));
        assertThat(failed).anyMatch(name -> name.startsWith("GR-05 "));
        assertThat(failed).anyMatch(name -> name.startsWith("GR-07 "));
    }

    @Test
    void truncatedReportedMissingIsCaught() {
        assertThat(failedTests(run(TruncatedIsMissingKit.class))).anyMatch(name -> name.startsWith("SD-05 "));
    }

    @Test
    void deletionInvisibleGloballyIsCaught() {
        List<String> failed = failedTests(run(DeletionInvisibleGloballyKit.class));
        assertThat(failed).anyMatch(name -> name.startsWith("GC-01 "));
        assertThat(failed).anyMatch(name -> name.startsWith("GC-02 "));
    }

    @Test
    void theUnbrokenStorePassesTheSameRuns() {
        for (String kit : List.of("dev.estoria.storetest.memory.InMemoryEventStoreTest",
                "dev.estoria.storetest.memory.InMemoryGlobalReaderTest")) {
            TestExecutionSummary summary = run(kit);
            assertThat(summary.getTestsFoundCount()).isGreaterThan(10);
            assertThat(failedTests(summary)).isEmpty();
        }
    }
}
