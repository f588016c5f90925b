/**
 * Event-sourced aggregates: state rebuilt from a stream's events, commands that record new events,
 * and stores that load and save aggregates through any {@link dev.estoria.eventstore.EventStore}.
 *
 * <p>The base store is {@link dev.estoria.aggregate.EventSourcedAggregateStore}; decorators add
 * snapshots ({@link dev.estoria.aggregate.SnapshottingAggregateStore}), a cache ({@link
 * dev.estoria.aggregate.CachedAggregateStore}) and hooks ({@link
 * dev.estoria.aggregate.HookableAggregateStore}). {@link dev.estoria.aggregate.ConflictRetry} runs a
 * command again on a version conflict.
 */
package dev.estoria.aggregate;
