/**
 * Building blocks for event store implementations: the input checks every store must make, the
 * idempotent-append decision, the listeners of an append notifier, and a base class for
 * cursor-backed iterators. Application code does not need this package.
 */
package dev.estoria.eventstore.spi;
