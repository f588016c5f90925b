package dev.estoria.projection;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Records the messages a class logs, between {@link #start()} and {@link #stop()}. Holds its
 * logger, so the logger (and the handler on it) is not collected while the test runs.
 */
final class LogRecorder extends Handler {

    private final Logger logger;
    private final List<String> messages = new CopyOnWriteArrayList<>();

    LogRecorder(Class<?> source) {
        this.logger = Logger.getLogger(source.getName());
    }

    void start() {
        logger.addHandler(this);
    }

    void stop() {
        logger.removeHandler(this);
    }

    /** The messages logged so far, oldest first. */
    List<String> messages() {
        return messages;
    }

    @Override
    public void publish(LogRecord record) {
        messages.add(record.getMessage());
    }

    @Override
    public void flush() {
    }

    @Override
    public void close() {
    }
}
