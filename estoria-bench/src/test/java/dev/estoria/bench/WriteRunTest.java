package dev.estoria.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WriteRunTest {

    /** A subject whose writer 0 fails at its first append; the others append slowly. */
    private static AppendSubject failingFirstWriter(AtomicInteger closed) {
        return new AppendSubject() {
            @Override
            public Writer writer(int index) {
                return new Writer() {
                    @Override
                    public void append(long expectedVersion, int events) throws Exception {
                        if (index == 0) {
                            throw new IllegalStateException("writer 0 broke");
                        }
                        Thread.sleep(1);
                    }

                    @Override
                    public void close() {
                        closed.incrementAndGet();
                    }
                };
            }

            @Override
            public void close() {
            }
        };
    }

    @Test
    void aWriterFailingDuringWarmUpFailsTheRunInsteadOfHangingIt() {
        AtomicInteger closed = new AtomicInteger();
        assertTimeoutPreemptively(Duration.ofSeconds(20), () -> {
            assertThatThrownBy(() -> WriteRun.run(writers -> failingFirstWriter(closed), 4, 1, Duration.ofMillis(300),
                    Duration.ofMillis(300)))
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("writer 0 broke");
        });
        assertThat(closed).hasValue(4);
    }
}
