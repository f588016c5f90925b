/**
 * The {@code estoria} command line: one picocli subcommand per operation ({@code demo}, {@code append},
 * {@code read}, {@code read-all}, {@code tail}, {@code streams}, {@code delete}, {@code export},
 * {@code import}, {@code projections}), run by {@link dev.estoria.cli.EstoriaCli}.
 *
 * <p>Commands reach their store only through {@link dev.estoria.cli.store.StoreOpener}, so tests run
 * them in-process on in-memory stores and the real command opens SQLite files or PostgreSQL schemas. A new subcommand is one more
 * class listed in {@code EstoriaCli}'s {@code subcommands}.
 */
package dev.estoria.cli;
