/** Encoding of domain events and aggregate state; the JSON codec lives in {@code estoria-jackson}. */
package dev.estoria.codec;
