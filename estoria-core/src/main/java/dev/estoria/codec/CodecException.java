package dev.estoria.codec;

import dev.estoria.EstoriaException;

/** A value could not be encoded, or a payload could not be decoded. */
public class CodecException extends EstoriaException {

    public CodecException(String message, Throwable cause) {
        super(message, cause);
    }

    public CodecException(String message) {
        super(message);
    }
}
