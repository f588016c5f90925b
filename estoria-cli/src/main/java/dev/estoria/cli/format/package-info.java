/**
 * How the command line shows events: the NDJSON event line format ({@link
 * dev.estoria.cli.format.EventJson}), read back by {@code import}, and tables for people ({@link
 * dev.estoria.cli.format.EventTable}).
 */
package dev.estoria.cli.format;
