package dev.estoria.cli.store;

import java.nio.file.Path;
import java.util.Objects;

/**
 * Where the command line keeps its events, as chosen by the store options of a command.
 *
 * <p>Sealed so that every opener handles every kind of target; a server-backed store becomes one more
 * record here and one more branch in the opener.
 */
public sealed interface StoreTarget permits StoreTarget.File {

    /** A short description for messages, such as the file name. */
    String describe();

    /**
     * A single-file store.
     *
     * @param path the database file; need not exist yet
     */
    record File(Path path) implements StoreTarget {

        public File {
            Objects.requireNonNull(path, "path");
        }

        @Override
        public String describe() {
            return path.toString();
        }
    }
}
