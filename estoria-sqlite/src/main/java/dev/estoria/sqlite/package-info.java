/**
 * The embedded event store on one SQLite file: {@link dev.estoria.sqlite.SqliteEventStore}, opened
 * with {@link dev.estoria.sqlite.SqliteOptions}, refusing unusable files with {@link
 * dev.estoria.sqlite.SqliteFileException}.
 */
package dev.estoria.sqlite;
