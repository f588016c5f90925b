package dev.estoria.projection;

import dev.estoria.eventstore.GlobalReader;
import dev.estoria.eventstore.TransientStoreException;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * Rebuilds a projection as a new version beside the one serving reads, and switches over once the
 * new version has caught up.
 *
 * <p>The new version ({@code orders_v2}) replays from the start with its own checkpoint and its own
 * read model, while the current version keeps serving. If {@code orders_v2} already has a checkpoint
 * (a rebuild interrupted by a restart), it resumes from there, which is right only if its read model
 * was kept too: to start over, drop the read model and {@link CheckpointStore#delete delete} the
 * checkpoint first. The rebuild logs where it starts. When the new processor reaches the head (its
 * checkpoint durable), the rebuild {@linkplain ProjectionVersions#activate activates} it, so readers
 * that route by {@link ProjectionVersions#active} switch in one step, and then runs {@code
 * onPromoted} — typically to stop the old processor and drop the old read model. The new processor
 * keeps running as the live one; {@link #processor()} returns it.
 *
 * <pre>{@code
 * ProjectionRebuild rebuild = ProjectionRebuild.start(store, checkpoints, versions,
 *         ProjectionId.of("orders", 2), ordersV2::handle, ProjectionProcessor.Options.defaults(),
 *         promoted -> retire(ordersV1Processor));   // your code: close() it, drop its tables
 * rebuild.promoted().get();   // completes with orders_v2 once it serves reads
 * }</pre>
 *
 * <p>If the new version fails before catching up, it is never activated and {@link #promoted()}
 * completes exceptionally; the old version keeps serving. An activation that fails with a {@link
 * TransientStoreException} (the store restarting) is tried again, with pauses up to 10 s, for as
 * long as the new version runs.
 */
public final class ProjectionRebuild implements AutoCloseable {

    private static final System.Logger LOG = System.getLogger(ProjectionRebuild.class.getName());

    private final ProjectionProcessor processor;
    private final CompletableFuture<ProjectionId> promoted = new CompletableFuture<>();

    private ProjectionRebuild(ProjectionProcessor processor) {
        this.processor = processor;
    }

    /**
     * Starts rebuilding {@code next} and promotes it once it has caught up.
     *
     * @param onPromoted called with {@code next} after activation, on the rebuild's thread
     */
    public static ProjectionRebuild start(GlobalReader reader, CheckpointStore checkpoints, ProjectionVersions versions,
            ProjectionId next, EventHandler handler, ProjectionProcessor.Options options,
            Consumer<ProjectionId> onPromoted) {
        Objects.requireNonNull(versions, "versions");
        Objects.requireNonNull(onPromoted, "onPromoted");
        checkpoints.load(next).ifPresent(c -> LOG.log(Level.INFO, "rebuild of " + next + " resumes from its checkpoint at "
                + c.position() + "; delete the checkpoint to start over"));
        ProjectionProcessor processor = ProjectionProcessor.create(reader, checkpoints, next, handler, options);
        ProjectionRebuild rebuild = new ProjectionRebuild(processor);
        processor.start();
        Thread.ofPlatform().name("estoria-rebuild-" + next).daemon().start(() -> rebuild.promote(versions, next, onPromoted));
        return rebuild;
    }

    private void promote(ProjectionVersions versions, ProjectionId next, Consumer<ProjectionId> onPromoted) {
        try {
            while (!processor.awaitCaughtUp(Duration.ofSeconds(1))) {
                if (processor.failure().isPresent()) {
                    promoted.completeExceptionally(new IllegalStateException("rebuild of " + next
                            + " failed before catching up; the current version keeps serving", processor.failure().get()));
                    return;
                }
                if (processor.state() == ProjectionStatus.State.STOPPED) {
                    promoted.completeExceptionally(new IllegalStateException("rebuild of " + next + " was stopped"));
                    return;
                }
            }
            activate(versions, next);
            LOG.log(Level.INFO, "projection " + next + " caught up at position " + processor.caughtUpPosition()
                    + " and now serves reads");
            onPromoted.accept(next);
            promoted.complete(next);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            promoted.completeExceptionally(e);
        } catch (RuntimeException e) {
            promoted.completeExceptionally(e);
        }
    }

    /**
     * Activates {@code next}, trying again while the store fails transiently (an outage must not
     * cost a rebuild that has caught up its promotion), for as long as the new version runs.
     */
    private void activate(ProjectionVersions versions, ProjectionId next) throws InterruptedException {
        for (int failures = 1; ; failures++) {
            try {
                versions.activate(next);
                return;
            } catch (TransientStoreException e) {
                ProjectionStatus.State state = processor.state();
                if (state == ProjectionStatus.State.STOPPED || state == ProjectionStatus.State.FAILED) {
                    throw e;
                }
                Duration pause = ProjectionLifecycle.retryPause(failures);
                LOG.log(Level.WARNING, "activating " + next + " failed (" + e.getMessage() + "); trying again in "
                        + pause.toMillis() + " ms", e);
                Thread.sleep(pause);
            }
        }
    }

    /** Completes with the new version once it is active and {@code onPromoted} ran. */
    public CompletableFuture<ProjectionId> promoted() {
        return promoted;
    }

    /** The new version's processor, which keeps running after promotion. */
    public ProjectionProcessor processor() {
        return processor;
    }

    /** Stops the new version's processor (abandoning the rebuild if it was not promoted yet). */
    @Override
    public void close() throws InterruptedException {
        processor.close();
    }
}
