/**
 * The seam between the commands and the storage backends: a {@link dev.estoria.cli.store.StoreTarget}
 * names where the events live, a {@link dev.estoria.cli.store.StoreOpener} opens it as a {@link
 * dev.estoria.cli.store.CliStore}. A backend is a target record and a branch in the opener; the
 * commands do not change.
 */
package dev.estoria.cli.store;
