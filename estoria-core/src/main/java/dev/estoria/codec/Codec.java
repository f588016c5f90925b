package dev.estoria.codec;

/**
 * Turns domain events and aggregate state into bytes and back.
 *
 * <p>The {@linkplain #contentType() content type} is stamped on everything the codec encodes, so a
 * reader can tell which codec wrote a payload without sniffing bytes. Decoding must fail loudly on a
 * payload that does not fit the target type, never return a half-filled object.
 */
public interface Codec {

    /** The MIME type of the payloads this codec writes and reads, such as {@code application/json}. */
    String contentType();

    /**
     * Encodes a value.
     *
     * @throws CodecException if the value cannot be encoded
     */
    byte[] encode(Object value);

    /**
     * Decodes a payload into a value of the given type.
     *
     * @throws CodecException if the payload is malformed or does not fit {@code type}
     */
    <T> T decode(byte[] data, Class<T> type);
}
