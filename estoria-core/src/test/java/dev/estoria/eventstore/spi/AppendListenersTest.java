package dev.estoria.eventstore.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

class AppendListenersTest {

    @Test
    void aFailingListenerIsLoggedWithTheStoreAndTheOthersStillRun() {
        Logger logger = Logger.getLogger(AppendListeners.class.getName());
        List<LogRecord> records = new ArrayList<>();
        Handler capture = new Handler() {
            @Override
            public void publish(LogRecord record) {
                records.add(record);
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        logger.addHandler(capture);
        try {
            AppendListeners listeners = new AppendListeners("event store on test.db");
            List<String> calls = new ArrayList<>();
            listeners.add(() -> {
                throw new IllegalStateException("listener bug");
            });
            listeners.add(() -> {
                throw new StackOverflowError("deep");
            });
            listeners.add(() -> calls.add("good"));

            listeners.wake();

            assertThat(calls).containsExactly("good");
            assertThat(records).hasSize(2).allSatisfy(r -> {
                assertThat(r.getLevel()).isEqualTo(Level.WARNING);
                assertThat(r.getMessage()).contains("event store on test.db");
            });
            assertThat(records.get(0).getThrown()).hasMessage("listener bug");
            assertThat(records.get(1).getThrown()).isInstanceOf(StackOverflowError.class);
        } finally {
            logger.removeHandler(capture);
        }
    }

    @Test
    void aFailingJvmIsPassedOnAfterTheOtherListenersRan() {
        AppendListeners listeners = new AppendListeners("store");
        List<String> calls = new ArrayList<>();
        listeners.add(() -> {
            throw new OutOfMemoryError("simulated");
        });
        listeners.add(() -> calls.add("good"));

        assertThatThrownBy(listeners::wake).isInstanceOf(OutOfMemoryError.class).hasMessage("simulated");
        assertThat(calls).containsExactly("good");
    }

    @Test
    void eachRegistrationIsRemovedOnItsOwn() throws Exception {
        AppendListeners listeners = new AppendListeners("store");
        List<String> calls = new ArrayList<>();
        Runnable listener = () -> calls.add("called");
        AutoCloseable first = listeners.add(listener);
        AutoCloseable second = listeners.add(listener);

        first.close();
        first.close();
        listeners.wake();
        assertThat(calls).containsExactly("called");

        second.close();
        assertThat(listeners.isEmpty()).isTrue();
    }
}
