package dev.estoria.cli.store;

/** Whether opening a store may create it. */
public enum OpenMode {
    /** Create the store when it does not exist yet: for commands that write events. */
    CREATE_IF_MISSING,
    /** The store must already exist: for commands that only read or delete, so a typo creates nothing. */
    MUST_EXIST
}
