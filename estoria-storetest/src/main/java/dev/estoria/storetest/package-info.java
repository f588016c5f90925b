/**
 * The acceptance kit: JUnit 5 contract classes that certify an event store.
 *
 * <p>A store's test extends one contract class per capability it implements and supplies a fresh
 * store from {@code createStore()}:
 *
 * <ul>
 *   <li>{@link dev.estoria.storetest.EventStoreContract} for every {@code EventStore};
 *   <li>{@link dev.estoria.storetest.GlobalReaderContract} for a {@code GlobalReader};
 *   <li>{@link dev.estoria.storetest.StreamDeleterContract} for a {@code StreamDeleter};
 *   <li>{@link dev.estoria.storetest.DeletionGlobalReadContract} for a store with both;
 *   <li>{@link dev.estoria.storetest.StreamListerContract} for a {@code StreamLister}.
 * </ul>
 *
 * <p>Every test gets a store of its own and the kit closes it afterwards when it is {@link
 * AutoCloseable}. Stream IDs are fresh random {@code storetest} IDs, so a factory may also hand out
 * views of one shared backend, except for the global reader contracts, which need a store whose
 * global log the test owns.
 */
package dev.estoria.storetest;
