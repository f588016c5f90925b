package dev.estoria.eventstore;

import java.util.Objects;

/**
 * Options of {@link StreamWriter#appendStream}.
 *
 * @param expectedVersion what the append expects of the stream's tip; {@link ExpectedVersion#any()}
 *     by default
 * @param allowReservedMetadata whether metadata keys starting with {@value
 *     WritableEvent#RESERVED_METADATA_PREFIX} are accepted. Off by default; meant for Estoria's own
 *     components (such as snapshot stores) that own that namespace.
 */
public record AppendStreamOptions(ExpectedVersion expectedVersion, boolean allowReservedMetadata) {

    private static final AppendStreamOptions DEFAULTS = new AppendStreamOptions(ExpectedVersion.any(), false);

    public AppendStreamOptions {
        Objects.requireNonNull(expectedVersion, "expectedVersion");
    }

    /** No expectation; reserved metadata refused. */
    public static AppendStreamOptions defaults() {
        return DEFAULTS;
    }

    /** Options with the given expectation. */
    public static AppendStreamOptions expecting(ExpectedVersion expected) {
        return new AppendStreamOptions(expected, false);
    }

    /** Options expecting the stream's tip to be exactly {@code version} (0 = never written, or deleted). */
    public static AppendStreamOptions expectingVersion(long version) {
        return expecting(ExpectedVersion.exact(version));
    }

    /** Options expecting the stream not to exist. */
    public static AppendStreamOptions expectingNoStream() {
        return expecting(ExpectedVersion.noStream());
    }

    /** Options expecting the stream to exist. */
    public static AppendStreamOptions expectingStreamExists() {
        return expecting(ExpectedVersion.streamExists());
    }

    /** Returns a copy that accepts reserved metadata keys; for Estoria's own components. */
    public AppendStreamOptions withReservedMetadataAllowed() {
        return new AppendStreamOptions(expectedVersion, true);
    }
}
