/**
 * The PostgreSQL event store: {@link dev.estoria.postgres.PostgresEventStore}, its {@link
 * dev.estoria.postgres.PostgresOptions}, the {@link dev.estoria.postgres.FeedHealth} report, and the
 * exceptions specific to this backend; and its companions in the same schema and pool: {@link
 * dev.estoria.postgres.PostgresSnapshotStore}, {@link dev.estoria.postgres.PostgresCheckpointStore},
 * {@link dev.estoria.postgres.PostgresProjectionRunner}, which applies a projection's events and
 * commits its checkpoint in one transaction (exactly-once read models in the same database), and
 * {@link dev.estoria.postgres.PostgresLeaseStore}, the leases by which the workers of a partitioned
 * projection share its partitions.
 *
 * <p>Global reads are ordered without a store-wide lock: positions derive from the writing
 * transaction's ID and reads stop below the oldest running transaction (the watermark). See {@link
 * dev.estoria.postgres.PostgresEventStore} for the design, its capacity, and its one failure mode
 * (delay, never loss).
 */
package dev.estoria.postgres;
