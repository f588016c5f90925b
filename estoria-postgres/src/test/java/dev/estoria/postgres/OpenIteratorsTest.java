package dev.estoria.postgres;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.catchThrowable;

import dev.estoria.eventstore.StreamIterator;
import dev.estoria.eventstore.StreamIteratorClosedException;
import dev.estoria.eventstore.TransientStoreException;
import dev.estoria.eventstore.WritableEvent;
import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Open iterators each hold a pooled connection. When they hold every connection of the pool, a
 * call that waits for one in vain says so, rather than blaming the server, which is answering; and
 * an iterator the store's close ended says that the store was closed.
 */
@Timeout(120)
class OpenIteratorsTest {

    private final TestDatabase db = TestDatabase.get();

    @Test
    void aCallThatFindsEveryPooledConnectionHeldSaysSoInsteadOfBlamingTheServer() {
        PostgresEventStore store = db.newOwnedStore(PostgresOptions.defaults().withPoolSize(2)
                .withConnectionTimeout(Duration.ofMillis(500)));
        List<StreamIterator> open = new ArrayList<>();
        try {
            TypeId stream = TypeId.newV7("account");
            store.appendStream(stream, List.of(WritableEvent.of("opened", new byte[] {1}),
                    WritableEvent.of("deposited", new byte[] {2})));
            for (int i = 0; i < 2; i++) {
                StreamIterator events = store.readAll();
                events.next(); // a cursor read, holding its connection until closed
                open.add(events);
            }

            Throwable read = catchThrowable(store::readAll);
            Throwable append = catchThrowable(() -> store.appendStream(stream,
                    List.of(WritableEvent.of("deposited", new byte[] {3}))));

            for (Throwable failure : List.of(read, append)) {
                assertThat(failure).as("it may pass once iterators are closed").isInstanceOf(TransientStoreException.class);
                assertThat(failure.getMessage())
                        .contains("every connection of the pool is in use")
                        .contains("open iterators")
                        .doesNotContain("PostgreSQL is unavailable");
            }
            assertThat(append.getMessage()).contains(stream.toString()).contains("not written");

            open.forEach(StreamIterator::close);
            open.clear();
            store.appendStream(stream, List.of(WritableEvent.of("deposited", new byte[] {3})));
            assertThat(store.readStream(stream).toList()).hasSize(3);
        } finally {
            open.forEach(StreamIterator::close);
            db.discard(store);
        }
    }

    @Test
    void anIteratorEndedByTheStoresCloseSaysTheStoreWasClosed() {
        PostgresEventStore store = db.newOwnedStore(PostgresOptions.defaults());
        try {
            TypeId stream = TypeId.newV7("account");
            store.appendStream(stream, List.of(WritableEvent.of("opened", new byte[] {1}),
                    WritableEvent.of("deposited", new byte[] {2})));
            StreamIterator events = store.readAll(); // a cursor read
            events.next();

            store.close();

            Throwable read = catchThrowable(events::hasNext);
            assertThat(read).isInstanceOf(StreamIteratorClosedException.class);
            assertThat(read.getMessage()).contains("the event store").contains(store.options().schema())
                    .contains("was closed");
            events.close();
            assertThatCode(events::close).doesNotThrowAnyException();
        } finally {
            db.discard(store);
        }
    }
}
