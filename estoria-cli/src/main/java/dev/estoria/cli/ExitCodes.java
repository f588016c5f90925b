package dev.estoria.cli;

/** The process exit codes of the {@code estoria} command. */
public final class ExitCodes {

    /** Success. */
    public static final int OK = 0;
    /** Bad input or usage: nothing was written. */
    public static final int BAD_INPUT = 1;
    /** The stream was never written, or was deleted. */
    public static final int STREAM_NOT_FOUND = 2;
    /** An append's expected version did not hold: nothing was written. */
    public static final int VERSION_MISMATCH = 3;
    /** Any other failure reported by the store (I/O, a corrupt file, a conflicting event ID). */
    public static final int STORE_ERROR = 4;

    private ExitCodes() {}
}
