/**
 * Snapshots of aggregate state, so an aggregate with a long history loads from its latest snapshot
 * plus the events after it. Stores: {@link dev.estoria.snapshot.InMemorySnapshotStore}, {@link
 * dev.estoria.snapshot.EventStreamSnapshotStore} (a parallel stream in any event store), and
 * durable tables in the SQLite and PostgreSQL modules.
 */
package dev.estoria.snapshot;
