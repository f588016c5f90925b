package dev.estoria.cli.store;

/**
 * Opens the store a command works on. The one seam between the commands and the storage backends:
 * commands never name a store class.
 */
@FunctionalInterface
public interface StoreOpener {

    /**
     * Opens the store at {@code target}.
     *
     * @return an open store; the caller closes it
     * @throws StoreUnavailableException if the target does not exist and {@code mode} is {@link
     *     OpenMode#MUST_EXIST}, or cannot be created
     * @throws dev.estoria.eventstore.EventStoreException if the backend fails to open it
     */
    CliStore open(StoreTarget target, OpenMode mode);
}
