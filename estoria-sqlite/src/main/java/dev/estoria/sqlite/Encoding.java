package dev.estoria.sqlite;

import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * How values that SQLite has no column type for are written to the file: metadata maps and
 * timestamps. Part of the file format: changing it needs a new schema version.
 *
 * <p><b>Metadata</b> is a BLOB: empty for an empty map; otherwise, for each entry in ascending
 * key order (so equal maps give equal bytes), the key and then the value, each as a 4-byte
 * big-endian length followed by that many bytes of UTF-8.
 *
 * <p><b>Timestamps</b> are INTEGER microseconds since 1970-01-01T00:00:00Z.
 *
 * <p><b>Event UUIDs</b> are 16-byte BLOBs, most significant byte first (the byte order of the
 * canonical text form), which keeps the unique index that serves the idempotency lookup small.
 */
final class Encoding {

    private Encoding() {
    }

    /** Timestamps keep this precision; finer digits are dropped before an append returns. */
    static final ChronoUnit TIMESTAMP_PRECISION = ChronoUnit.MICROS;

    private static final byte[] EMPTY = new byte[0];

    static Instant truncate(Instant instant) {
        return instant.truncatedTo(TIMESTAMP_PRECISION);
    }

    static long toMicros(Instant instant) {
        return Math.addExact(Math.multiplyExact(instant.getEpochSecond(), 1_000_000L), instant.getNano() / 1_000);
    }

    static Instant fromMicros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }

    static byte[] uuidBytes(UUID uuid) {
        return ByteBuffer.allocate(16).putLong(uuid.getMostSignificantBits()).putLong(uuid.getLeastSignificantBits()).array();
    }

    /** @throws IllegalArgumentException if the bytes are not 16 */
    static UUID uuid(byte[] bytes) {
        if (bytes == null || bytes.length != 16) {
            throw new IllegalArgumentException("an event UUID must be 16 bytes, found "
                    + (bytes == null ? "none" : bytes.length));
        }
        ByteBuffer buffer = ByteBuffer.wrap(bytes);
        return new UUID(buffer.getLong(), buffer.getLong());
    }

    /**
     * Encodes a metadata map. Callers have checked with {@link #wellFormedProblem} that every key and
     * value survives UTF-8.
     */
    static byte[] encodeMetadata(Map<String, String> metadata) {
        if (metadata.isEmpty()) {
            return EMPTY;
        }
        List<String> keys = new ArrayList<>(metadata.keySet());
        keys.sort(null);
        List<byte[]> parts = new ArrayList<>(keys.size() * 2);
        int size = 0;
        for (String key : keys) {
            byte[] k = key.getBytes(StandardCharsets.UTF_8);
            byte[] v = metadata.get(key).getBytes(StandardCharsets.UTF_8);
            parts.add(k);
            parts.add(v);
            size = Math.addExact(size, Math.addExact(8, Math.addExact(k.length, v.length)));
        }
        ByteBuffer out = ByteBuffer.allocate(size);
        for (byte[] part : parts) {
            out.putInt(part.length).put(part);
        }
        return out.array();
    }

    /**
     * Decodes what {@link #encodeMetadata} wrote.
     *
     * @throws IllegalArgumentException describing the damage, if the bytes are not a valid encoding
     */
    static Map<String, String> decodeMetadata(byte[] bytes) {
        if (bytes == null || bytes.length == 0) {
            return Map.of();
        }
        ByteBuffer in = ByteBuffer.wrap(bytes);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        Map<String, String> result = new HashMap<>();
        String previousKey = null;
        while (in.hasRemaining()) {
            String key = readString(in, decoder, "key");
            String value = readString(in, decoder, "value of \"" + key + "\"");
            if (previousKey != null && previousKey.compareTo(key) >= 0) {
                throw new IllegalArgumentException("metadata keys out of order or repeated at \"" + key + "\"");
            }
            previousKey = key;
            result.put(key, value);
        }
        return result;
    }

    private static String readString(ByteBuffer in, CharsetDecoder decoder, String what) {
        if (in.remaining() < 4) {
            throw new IllegalArgumentException("metadata " + what + " truncated before its length");
        }
        int length = in.getInt();
        if (length < 0 || length > in.remaining()) {
            throw new IllegalArgumentException("metadata " + what + " has length " + length + " but only "
                    + in.remaining() + " bytes remain");
        }
        ByteBuffer slice = in.slice(in.position(), length);
        in.position(in.position() + length);
        try {
            CharBuffer chars = decoder.reset().decode(slice);
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("metadata " + what + " is not valid UTF-8", e);
        }
    }

    /**
     * Returns why {@code s} cannot be stored verbatim as UTF-8 text, or null if it can. Java strings
     * may hold unpaired surrogates, which UTF-8 cannot represent: storing one would silently change
     * the text, so the store refuses it instead.
     */
    static String wellFormedProblem(String s) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return "unpaired high surrogate U+" + Integer.toHexString(c).toUpperCase() + " at index " + i;
            }
            if (Character.isLowSurrogate(c)) {
                return "unpaired low surrogate U+" + Integer.toHexString(c).toUpperCase() + " at index " + i;
            }
        }
        return null;
    }
}
