package dev.estoria.bench;

/**
 * Something the write benchmark appends through: Estoria or a baseline. A subject is created fresh
 * for one measured run and closed afterwards.
 */
interface AppendSubject extends AutoCloseable {

    /**
     * A writer for one thread. Writer {@code i} owns one stream, which starts empty; each append it
     * makes expects the stream at exactly the version it last wrote.
     */
    Writer writer(int index) throws Exception;

    /** Releases the subject's resources and removes what it created (files, schemas). */
    @Override
    void close();

    /** Appends of one thread to its own stream. */
    interface Writer extends AutoCloseable {
        /** Appends {@code events} events to the writer's stream, expecting it at {@code expectedVersion}. */
        void append(long expectedVersion, int events) throws Exception;

        @Override
        default void close() throws java.sql.SQLException {
        }
    }

    /** Creates a fresh subject for a run with the given number of writers. */
    @FunctionalInterface
    interface Factory {
        AppendSubject create(int writers) throws Exception;
    }
}
