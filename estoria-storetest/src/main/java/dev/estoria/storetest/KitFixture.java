package dev.estoria.storetest;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;

/**
 * The lifecycle every contract class shares: a fresh subject per test from {@link #createStore()},
 * closed after the test when it is {@link AutoCloseable}.
 *
 * @param <S> the type under test
 */
public abstract class KitFixture<S> {

    /** The subject of the current test. */
    protected S store;

    /** Creates a fresh subject for one test; the kit closes it afterwards if it is AutoCloseable. */
    protected abstract S createStore() throws Exception;

    @BeforeEach
    final void openStore() throws Exception {
        store = createStore();
    }

    @AfterEach
    final void closeStore() throws Exception {
        if (store instanceof AutoCloseable closeable) {
            closeable.close();
        }
    }
}
