package dev.estoria.aggregate;

import java.time.Duration;
import java.util.Objects;

/**
 * How {@link ConflictRetry} retries a command after a version conflict: at most {@code maxAttempts}
 * runs in all, sleeping between them with exponential backoff from {@code initialBackoff} up to
 * {@code maxBackoff}, with random jitter so racing writers spread out.
 *
 * @param maxAttempts total runs of the command, >= 1
 * @param initialBackoff the pause after the first conflict; zero for none
 * @param maxBackoff the longest pause
 */
public record RetryPolicy(int maxAttempts, Duration initialBackoff, Duration maxBackoff) {

    public RetryPolicy {
        if (maxAttempts < 1) {
            throw new IllegalArgumentException("maxAttempts must be >= 1, was " + maxAttempts);
        }
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (initialBackoff.isNegative()) {
            throw new IllegalArgumentException("initialBackoff must not be negative, was " + initialBackoff);
        }
        if (maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("maxBackoff must be at least initialBackoff (" + initialBackoff
                    + "), was " + maxBackoff);
        }
    }

    /** 10 attempts, backing off from 1 ms to 100 ms. */
    public static RetryPolicy defaults() {
        return new RetryPolicy(10, Duration.ofMillis(1), Duration.ofMillis(100));
    }

    /** Up to {@code attempts} runs with the default backoff. */
    public static RetryPolicy attempts(int attempts) {
        return new RetryPolicy(attempts, Duration.ofMillis(1), Duration.ofMillis(100));
    }

    /** The pause before run {@code attempt + 1}, without jitter. */
    Duration backoffAfter(int attempt) {
        long nanos = initialBackoff.toNanos();
        for (int i = 1; i < attempt && nanos < maxBackoff.toNanos(); i++) {
            nanos *= 2;
        }
        return Duration.ofNanos(Math.min(nanos, maxBackoff.toNanos()));
    }
}
