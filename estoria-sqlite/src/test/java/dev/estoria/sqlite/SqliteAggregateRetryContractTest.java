package dev.estoria.sqlite;

import dev.estoria.storetest.AggregateRetryContract;
import java.nio.file.Path;
import org.junit.jupiter.api.io.TempDir;

/**
 * The acceptance kit's {@link AggregateRetryContract}, each test on a fresh file.
 *
 * <p>With relaxed durability: the contract is about conflict retries, and its 1,600 contended
 * appends to one stream commit one after another, so flushing each would only make it slow.
 */
class SqliteAggregateRetryContractTest extends AggregateRetryContract<SqliteEventStore> {

    @TempDir
    Path directory;

    @Override
    protected SqliteEventStore createStore() {
        return SqliteEventStore.open(directory.resolve("events.db"),
                SqliteOptions.defaults().withDurability(SqliteOptions.Durability.NORMAL));
    }
}
