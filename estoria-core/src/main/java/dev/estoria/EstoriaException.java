package dev.estoria;

/**
 * Base of every exception Estoria throws on purpose.
 *
 * <p>All Estoria exceptions are unchecked. Catch this type to handle any Estoria failure in one
 * place, or one of its subclasses to react to a specific condition. Invalid arguments are not
 * part of this hierarchy: they are reported with {@link IllegalArgumentException} (or {@link
 * NullPointerException} for a missing argument), before anything is written.
 */
public class EstoriaException extends RuntimeException {

    public EstoriaException(String message) {
        super(message);
    }

    public EstoriaException(String message, Throwable cause) {
        super(message, cause);
    }
}
