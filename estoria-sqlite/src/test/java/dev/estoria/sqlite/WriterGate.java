package dev.estoria.sqlite;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Writer hooks for tests: holds the writer inside its first transaction, before the commit, until
 * released, so that appends submitted meanwhile queue up behind it and form the next group; counts
 * the queued appends and records the runs applied together.
 */
final class WriterGate implements GroupCommitWriter.Hooks {
    /** Counted down once the first transaction is held. */
    final CountDownLatch held = new CountDownLatch(1);
    /** Lets the held transaction commit. */
    final CountDownLatch release = new CountDownLatch(1);
    /** Counted down by each queued write, the held one included. */
    final CountDownLatch queued;
    final CountDownLatch closing = new CountDownLatch(1);
    /** The size of each run of appends applied together, in order. */
    final List<Integer> batches = new CopyOnWriteArrayList<>();
    private final AtomicBoolean first = new AtomicBoolean(true);

    WriterGate(int expectedQueued) {
        queued = new CountDownLatch(expectedQueued);
    }

    @Override
    public void enqueued() {
        queued.countDown();
    }

    @Override
    public void beforeCommit(int items) {
        if (first.getAndSet(false)) {
            held.countDown();
            GroupCommitTest.await(release);
        }
    }

    @Override
    public void batched(int items) {
        batches.add(items);
    }

    @Override
    public void closing() {
        closing.countDown();
    }
}
