package dev.estoria.cli;

import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.cli.store.StoreOpener;
import dev.estoria.cli.store.StoreTarget;
import dev.estoria.cli.store.StoreUnavailableException;
import dev.estoria.sqlite.SqliteEventStore;
import dev.estoria.sqlite.SqliteFileException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The store openers of the real command: a {@code --db FILE} is a {@link SqliteEventStore}. */
final class StoreOpeners {

    private StoreOpeners() {}

    static StoreOpener standard() {
        return (target, mode) -> switch (target) {
            case StoreTarget.File file -> openFile(file.path(), mode);
        };
    }

    private static CliStore openFile(Path file, OpenMode mode) {
        if (Files.isDirectory(file)) {
            throw new StoreUnavailableException(file + " is a directory, not a database file");
        }
        if (!Files.exists(file)) {
            if (mode == OpenMode.MUST_EXIST) {
                throw new StoreUnavailableException("no database at " + file
                        + " (create one with 'estoria demo' or 'estoria append', or pass --db FILE)");
            }
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null && !Files.isDirectory(parent)) {
                throw new StoreUnavailableException("cannot create " + file + ": directory " + parent + " does not exist");
            }
        }
        SqliteEventStore store;
        try {
            store = SqliteEventStore.open(file);
        } catch (SqliteFileException e) {
            // A file that is not an Estoria database is a wrong --db, not a failing store.
            switch (e.problem()) {
                case CANNOT_OPEN, NOT_SQLITE, NOT_ESTORIA -> throw new StoreUnavailableException(e.getMessage());
                default -> throw e;
            }
        }
        return CliStore.of(store, store::close);
    }
}
