/**
 * Benchmarks of the Estoria stores against baselines measured in the same run: SQLite and
 * PostgreSQL appends and reads, aggregate loads with and without snapshots, and projection latency.
 * Each entry point returns a {@link dev.estoria.bench.BenchReport} that renders as Markdown; {@link
 * dev.estoria.bench.BenchMain} runs them from the command line.
 */
package dev.estoria.bench;
