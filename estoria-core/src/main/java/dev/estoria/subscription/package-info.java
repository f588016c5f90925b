/**
 * Live subscriptions to the global log: catch up from a position, then follow new events as they
 * are appended, woken by the store's {@link dev.estoria.eventstore.AppendNotifier} where it has one
 * and by a slow poll otherwise.
 */
package dev.estoria.subscription;
