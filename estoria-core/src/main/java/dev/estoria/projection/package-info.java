/**
 * Projections: read models built by handling the global log in order, with durable checkpoints so a
 * restarted projection resumes where it stopped. {@link dev.estoria.projection.ProjectionProcessor}
 * replays from the checkpoint, catches up, then follows live appends.
 */
package dev.estoria.projection;
