/**
 * The embedded event store on one SQLite file: {@link dev.estoria.sqlite.SqliteEventStore}, opened
 * with {@link dev.estoria.sqlite.SqliteOptions}, refusing unusable files with {@link
 * dev.estoria.sqlite.SqliteFileException}.
 *
 * <p>The same file holds durable snapshots ({@link dev.estoria.sqlite.SqliteSnapshotStore}),
 * projection checkpoints ({@link dev.estoria.sqlite.SqliteCheckpointStore}) and, if the
 * application wants, its own read-model tables: {@link dev.estoria.sqlite.SqliteProjectionRunner}
 * commits a projection's read-model writes and its checkpoint in one transaction, so each event is
 * applied exactly once. {@link dev.estoria.sqlite.SqliteEventStore#inWriteTransaction} and {@link
 * dev.estoria.sqlite.SqliteEventStore#inReadTransaction} lend a connection for such tables.
 */
package dev.estoria.sqlite;
