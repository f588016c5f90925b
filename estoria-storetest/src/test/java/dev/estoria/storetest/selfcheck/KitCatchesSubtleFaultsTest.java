package dev.estoria.storetest.selfcheck;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.platform.engine.discovery.DiscoverySelectors.selectMethod;

import dev.estoria.storetest.AppendNotifierContract;
import dev.estoria.storetest.CheckpointStoreContract;
import dev.estoria.storetest.EventStoreContract;
import dev.estoria.storetest.GlobalReaderContract;
import dev.estoria.storetest.LeaseStoreContract;
import dev.estoria.storetest.SnapshotStoreContract;
import dev.estoria.storetest.StreamDeleterContract;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * Faults a real implementation makes easily (a check-then-act expectation, a half-written batch, a
 * lease takeover without a new fencing token, a snapshot table where the last write wins, ...),
 * each of which the rest of the kit lets pass: the clause written for it must fail the faulty
 * store. The same clauses pass every store of the project.
 */
class KitCatchesSubtleFaultsTest {

    public static class CheckThenActNoStreamKit extends EventStoreContract<BrokenEventStores.CheckThenActNoStream> {
        @Override
        protected BrokenEventStores.CheckThenActNoStream createStore() {
            return new BrokenEventStores.CheckThenActNoStream();
        }
    }

    public static class PartialBatchKit extends EventStoreContract<BrokenEventStores.PartialBatchOnForeignId> {
        @Override
        protected BrokenEventStores.PartialBatchOnForeignId createStore() {
            return new BrokenEventStores.PartialBatchOnForeignId();
        }
    }

    public static class ShiftedTimestampsKit extends EventStoreContract<BrokenEventStores.ShiftedTimestamps> {
        @Override
        protected BrokenEventStores.ShiftedTimestamps createStore() {
            return new BrokenEventStores.ShiftedTimestamps();
        }
    }

    public static class SharedEmptyGlobalKit extends GlobalReaderContract<BrokenEventStores.SharedEmptyIterator> {
        @Override
        protected BrokenEventStores.SharedEmptyIterator createStore() {
            return new BrokenEventStores.SharedEmptyIterator();
        }
    }

    public static class SharedEmptyDeleterKit extends StreamDeleterContract<BrokenEventStores.SharedEmptyIterator> {
        @Override
        protected BrokenEventStores.SharedEmptyIterator createStore() {
            return new BrokenEventStores.SharedEmptyIterator();
        }
    }

    public static class StreamExistsOnDeletedKit extends StreamDeleterContract<BrokenEventStores.StreamExistsOnDeleted> {
        @Override
        protected BrokenEventStores.StreamExistsOnDeleted createStore() {
            return new BrokenEventStores.StreamExistsOnDeleted();
        }
    }

    public static class NotifyBeforeVisibleKit extends AppendNotifierContract<NotifyBeforeVisible> {
        @Override
        protected NotifyBeforeVisible createStore() {
            return new NotifyBeforeVisible();
        }
    }

    public static class TakeoverKeepsTokenKit extends LeaseStoreContract<BrokenLeaseStore> {
        @Override
        protected BrokenLeaseStore createStore() {
            return new BrokenLeaseStore(BrokenLeaseStore.Fault.TAKEOVER_KEEPS_TOKEN);
        }
    }

    public static class RenewsExpiredKit extends LeaseStoreContract<BrokenLeaseStore> {
        @Override
        protected BrokenLeaseStore createStore() {
            return new BrokenLeaseStore(BrokenLeaseStore.Fault.RENEWS_EXPIRED);
        }
    }

    public static class ListsExpiredKit extends LeaseStoreContract<BrokenLeaseStore> {
        @Override
        protected BrokenLeaseStore createStore() {
            return new BrokenLeaseStore(BrokenLeaseStore.Fault.LISTS_EXPIRED);
        }
    }

    public static class LastWrittenSnapshotKit extends SnapshotStoreContract<BrokenProjectionStores.LastWrittenSnapshotStore> {
        @Override
        protected BrokenProjectionStores.LastWrittenSnapshotStore createStore() {
            return new BrokenProjectionStores.LastWrittenSnapshotStore();
        }
    }

    public static class DeletesByUuidSnapshotKit
            extends SnapshotStoreContract<BrokenProjectionStores.DeletesByUuidSnapshotStore> {
        @Override
        protected BrokenProjectionStores.DeletesByUuidSnapshotStore createStore() {
            return new BrokenProjectionStores.DeletesByUuidSnapshotStore();
        }
    }

    public static class UnorderedCheckpointsKit
            extends CheckpointStoreContract<BrokenProjectionStores.UnorderedListCheckpointStore> {
        @Override
        protected BrokenProjectionStores.UnorderedListCheckpointStore createStore() {
            return new BrokenProjectionStores.UnorderedListCheckpointStore();
        }
    }

    static List<Arguments> faults() {
        return List.of(
                Arguments.of(CheckThenActNoStreamKit.class, "racingNoStreamCreations"),
                Arguments.of(PartialBatchKit.class, "foreignIdLateInBatchWritesNothing"),
                Arguments.of(ShiftedTimestampsKit.class, "timestampsAreTheAppendTime"),
                Arguments.of(SharedEmptyGlobalKit.class, "emptyGlobalIteratorsClose"),
                Arguments.of(SharedEmptyDeleterKit.class, "emptyIteratorsOfTruncatedStreamClose"),
                Arguments.of(StreamExistsOnDeletedKit.class, "deletedStreamFailsExistenceExpectations"),
                Arguments.of(NotifyBeforeVisibleKit.class, "readFromNotificationSeesTheAppend"),
                Arguments.of(TakeoverKeepsTokenKit.class, "takeoverAfterExpiryFences"),
                Arguments.of(RenewsExpiredKit.class, "expiredLeaseNotRenewed"),
                Arguments.of(ListsExpiredKit.class, "expiredNotListed"),
                Arguments.of(LastWrittenSnapshotKit.class, "lateOlderWriteDoesNotHideNewer"),
                Arguments.of(DeletesByUuidSnapshotKit.class, "deleteRemovesTheAggregatesSnapshotsOnly"),
                Arguments.of(UnorderedCheckpointsKit.class, "listOrderedAndWithoutDeleted"));
    }

    @ParameterizedTest(name = "{0}: {1}")
    @MethodSource("faults")
    void theClauseFailsTheFaultyStore(Class<?> kit, String clause) {
        LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
                .selectors(selectMethod(kit, clause)).build();
        SummaryGeneratingListener listener = new SummaryGeneratingListener();
        LauncherFactory.create().execute(request, listener);
        TestExecutionSummary summary = listener.getSummary();
        assertThat(summary.getTestsFoundCount()).as("clause found").isEqualTo(1);
        assertThat(summary.getTestsFailedCount()).as("clause failed the faulty store").isEqualTo(1);
    }
}
