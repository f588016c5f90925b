package dev.estoria.postgres;

import java.io.ByteArrayOutputStream;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Encodes metadata as bytes: a 4-byte entry count, then for each entry (sorted by key) a 4-byte
 * length and the UTF-8 bytes of the key, then the same for the value.
 *
 * <p>PostgreSQL {@code text} and {@code jsonb} cannot hold U+0000, which is a valid metadata
 * character, so metadata is a {@code bytea} column in this encoding. Strings that are not valid
 * Unicode (unpaired surrogates) cannot be encoded verbatim and are refused.
 */
final class MetadataCodec {

    private MetadataCodec() {
    }

    static byte[] encode(Map<String, String> metadata) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(16 + metadata.size() * 32);
        writeInt(out, metadata.size());
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        for (Map.Entry<String, String> e : new TreeMap<>(metadata).entrySet()) {
            writeString(out, encoder, e.getKey(), "metadata key \"" + e.getKey() + "\"");
            writeString(out, encoder, e.getValue(), "metadata value of key \"" + e.getKey() + "\"");
        }
        return out.toByteArray();
    }

    /**
     * Decodes what {@link #encode} wrote.
     *
     * @throws IllegalArgumentException if the bytes are not such an encoding (a row written by
     *     something other than the store)
     */
    static Map<String, String> decode(byte[] bytes) {
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            int n = in.getInt();
            if (n == 0) {
                return Map.of();
            }
            if (n < 0 || n > bytes.length / 8) {
                throw new IllegalArgumentException("stored metadata claims " + n + " entries in " + bytes.length + " bytes");
            }
            CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder();
            Map<String, String> map = new HashMap<>(n * 2);
            for (int i = 0; i < n; i++) {
                String key = readString(in, decoder);
                map.put(key, readString(in, decoder));
            }
            return map;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("stored metadata is not valid UTF-8", e);
        } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
            throw new IllegalArgumentException("stored metadata ends before its last entry", e);
        }
    }

    /**
     * Checks that a string can be stored verbatim in a {@code text} column.
     *
     * @throws IllegalArgumentException naming {@code what}, if it holds U+0000 or unpaired surrogates
     */
    static void requireStorableText(String value, String what) {
        requireNoNul(value, what);
        requireValidUnicode(value, what);
    }

    /** @throws IllegalArgumentException naming {@code what}, if it holds U+0000 */
    static void requireNoNul(String value, String what) {
        if (value.indexOf('\u0000') >= 0) {
            throw new IllegalArgumentException(what + " contains U+0000, which PostgreSQL text cannot store");
        }
    }

    /**
     * Whether a string can be stored verbatim in a {@code text} column. One that cannot was never
     * stored, so a lookup by it must find nothing: the driver would send an unpaired surrogate as
     * {@code ?} and match another value, and PostgreSQL refuses U+0000 with an error.
     */
    static boolean isStorableText(String value) {
        return value.indexOf('\u0000') < 0 && unpairedSurrogate(value) < 0;
    }

    /** See {@link PostgresEventStore#MAX_TYPE_BYTES}. */
    static final int MAX_TYPE_BYTES = PostgresEventStore.MAX_TYPE_BYTES;

    /**
     * Checks that a stream or aggregate type can key the store's indexes.
     *
     * @throws IllegalArgumentException naming {@code what}, if it cannot be stored or is over
     *     {@link #MAX_TYPE_BYTES} bytes of UTF-8
     */
    static void requireStorableType(String type, String what) {
        requireStorableText(type, what);
        int bytes = type.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
        if (bytes > MAX_TYPE_BYTES) {
            throw new IllegalArgumentException(what + " is " + bytes + " bytes of UTF-8; PostgreSQL indexes it, and"
                    + " at most " + MAX_TYPE_BYTES + " are allowed");
        }
    }

    static void requireValidUnicode(String value, String what) {
        int at = unpairedSurrogate(value);
        if (at >= 0) {
            throw new IllegalArgumentException(what + " contains an unpaired surrogate at index " + at
                    + " and cannot be stored verbatim");
        }
    }

    /** The index of the first unpaired surrogate in {@code value}, or -1 if it is well-formed. */
    private static int unpairedSurrogate(String value) {
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < value.length() && Character.isLowSurrogate(value.charAt(i + 1))) {
                i++;
            } else if (Character.isSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }

    private static void writeString(ByteArrayOutputStream out, CharsetEncoder encoder, String s, String what) {
        ByteBuffer encoded;
        try {
            encoded = encoder.encode(CharBuffer.wrap(s));
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException(what + " is not valid Unicode (unpaired surrogate) and cannot be stored verbatim", e);
        }
        writeInt(out, encoded.remaining());
        out.write(encoded.array(), encoded.arrayOffset() + encoded.position(), encoded.remaining());
    }

    private static String readString(ByteBuffer in, CharsetDecoder decoder) throws CharacterCodingException {
        int len = in.getInt();
        ByteBuffer slice = in.slice(in.position(), len);
        in.position(in.position() + len);
        return decoder.decode(slice).toString();
    }

    private static void writeInt(ByteArrayOutputStream out, int v) {
        out.write(v >>> 24);
        out.write(v >>> 16);
        out.write(v >>> 8);
        out.write(v);
    }
}
