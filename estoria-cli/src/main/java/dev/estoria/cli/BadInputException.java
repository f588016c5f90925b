package dev.estoria.cli;

/** Input a command refuses before writing anything; exit code {@link ExitCodes#BAD_INPUT}. */
final class BadInputException extends RuntimeException {

    BadInputException(String message) {
        super(message);
    }

    BadInputException(String message, Throwable cause) {
        super(message, cause);
    }
}
