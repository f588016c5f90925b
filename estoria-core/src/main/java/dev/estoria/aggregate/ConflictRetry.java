package dev.estoria.aggregate;

import dev.estoria.eventstore.EventStoreException;
import dev.estoria.eventstore.StreamVersionMismatchException;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * Runs a command against the latest state of an aggregate and saves it, running it again on a fresh
 * load when another writer saved first.
 *
 * <pre>{@code
 * ConflictRetry.update(accounts, accountId, account -> account.record(new Deposited(50)));
 * }</pre>
 *
 * <p>A version conflict ({@link StreamVersionMismatchException}) reruns the command on a fresh
 * load, so the command must be safe to run again (its effects go through the recorded events). An
 * ambiguous backend failure ({@link EventStoreException}) retries the same save, which is
 * idempotent, so the command is not applied twice. Any other failure, and a failure on the last
 * attempt, is thrown. A failure after the events were appended ({@link EventsAppendedException}) is
 * never retried.
 */
public final class ConflictRetry {

    private ConflictRetry() {
    }

    /** Loads, runs {@code command}, saves; retries conflicts with {@link RetryPolicy#defaults()}. */
    public static <S, E> Aggregate<S, E> update(AggregateStore<S, E> store, UUID id,
            java.util.function.Consumer<Aggregate<S, E>> command) {
        return execute(store, id, aggregate -> {
            command.accept(aggregate);
            return aggregate;
        }, RetryPolicy.defaults());
    }

    /**
     * Loads the aggregate, applies {@code command}, saves, and returns the command's result; on a
     * version conflict, reloads and runs the command again, up to {@code policy.maxAttempts()} runs.
     *
     * @throws StreamVersionMismatchException if every attempt conflicted
     * @throws AggregateNotFoundException if the aggregate does not exist
     */
    public static <S, E, R> R execute(AggregateStore<S, E> store, UUID id, Function<Aggregate<S, E>, R> command,
            RetryPolicy policy) {
        Objects.requireNonNull(store, "store");
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(command, "command");
        Objects.requireNonNull(policy, "policy");
        int attempt = 1;
        while (true) {
            Aggregate<S, E> aggregate = store.load(id);
            R result = command.apply(aggregate);
            while (true) {
                try {
                    store.save(aggregate);
                    return result;
                } catch (StreamVersionMismatchException e) {
                    if (attempt >= policy.maxAttempts()) {
                        throw e;
                    }
                    pause(policy, attempt++);
                    break; // reload and run the command again
                } catch (EventStoreException e) {
                    // A discarded aggregate was refused (a before-save hook threw this), not left in
                    // doubt: nothing was written and saving it again can only fail.
                    if (aggregate.isDiscarded() || attempt >= policy.maxAttempts()) {
                        throw e;
                    }
                    // The events may be stored already: save the same aggregate again, which is
                    // idempotent, rather than running the command a second time.
                    pause(policy, attempt++);
                }
            }
        }
    }

    private static void pause(RetryPolicy policy, int attempt) {
        long nanos = policy.backoffAfter(attempt).toNanos();
        if (nanos <= 0) {
            return;
        }
        long jittered = nanos / 2 + ThreadLocalRandom.current().nextLong(nanos / 2 + 1);
        try {
            TimeUnit.NANOSECONDS.sleep(jittered);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while backing off before retrying a conflicting save", e);
        }
    }
}
