package dev.estoria.typeid;

import java.io.Serializable;
import java.security.SecureRandom;
import java.util.Objects;
import java.util.UUID;

/**
 * A typed identifier: a type name and a UUID, written {@code type_uuid}.
 *
 * <p>{@link #toString()} renders the type, an underscore and the canonical lowercase 36-character
 * UUID, for example {@code user_9791012c-cd5b-4795-9c54-6085975d599b}. The format is load-bearing:
 * stores key storage on it. {@link #parse(String)} is its exact inverse: it accepts precisely the
 * strings {@code toString()} can produce and rejects everything else (uppercase, braced, URN or
 * hyphenless UUIDs, a missing separator, an invalid type name).
 *
 * <p>A type name is valid when it is non-empty and neither starts nor ends with {@code _}. Interior
 * underscores and any other characters are allowed, so {@code funds_deposited} and
 * {@code estoria.rebuild} are valid types. Parsing is anchored at the tail, so the last 37
 * characters are always the separator and the UUID.
 *
 * <p>Equality is by type and UUID: two IDs sharing a UUID but not a type are different.
 *
 * <p>Serializable, so the exceptions that carry an ID can cross a serialization boundary;
 * deserialization runs the canonical constructor, so it validates like {@link #of}.
 *
 * @param type the type name; see {@link #validateTypeName(String)}
 * @param uuid the UUID, the nil UUID included
 */
public record TypeId(String type, UUID uuid) implements Comparable<TypeId>, Serializable {

    private static final int UUID_LENGTH = 36;
    /** How much of an invalid input an exception message quotes; the rest is summarized by length. */
    private static final int MAX_QUOTED_LENGTH = 200;
    private static final SecureRandom RANDOM = new SecureRandom();

    /**
     * Creates an ID.
     *
     * @throws IllegalArgumentException if the type name is invalid
     * @throws NullPointerException if either argument is null
     */
    public TypeId {
        validateTypeName(type);
        Objects.requireNonNull(uuid, "uuid");
    }

    /** Creates an ID of the given type and UUID. */
    public static TypeId of(String type, UUID uuid) {
        return new TypeId(type, uuid);
    }

    /** Creates an ID of the given type with a random (version 4) UUID. */
    public static TypeId newV4(String type) {
        return new TypeId(type, randomV4());
    }

    /**
     * Creates an ID of the given type with a time-ordered (version 7) UUID. IDs minted in different
     * milliseconds sort by creation time; order within one millisecond is not guaranteed.
     */
    public static TypeId newV7(String type) {
        return new TypeId(type, timeOrderedV7(System.currentTimeMillis()));
    }

    /** Returns a random version 4 UUID. */
    public static UUID randomV4() {
        return UUID.randomUUID();
    }

    /**
     * Returns a version 7 UUID (RFC 9562) for the current time. Stores mint event IDs with it: IDs
     * of later appends sort higher, so a unique index on event IDs grows at its right edge instead
     * of touching a random page per event (same-millisecond order is random).
     */
    public static UUID timeOrderedV7() {
        return timeOrderedV7(System.currentTimeMillis());
    }

    /**
     * Returns a version 7 UUID (RFC 9562) for the given Unix time in milliseconds: 48 bits of time,
     * then 74 random bits around the version and variant fields.
     */
    public static UUID timeOrderedV7(long unixMillis) {
        if (unixMillis < 0 || unixMillis >= (1L << 48)) {
            throw new IllegalArgumentException("unixMillis out of the 48-bit range of a UUIDv7: " + unixMillis);
        }
        byte[] random = new byte[10];
        RANDOM.nextBytes(random);
        long randA = ((random[0] & 0xFFL) << 8 | (random[1] & 0xFFL)) & 0x0FFFL;
        long msb = (unixMillis << 16) | (0x7L << 12) | randA;
        long randB = 0;
        for (int i = 2; i < 10; i++) {
            randB = (randB << 8) | (random[i] & 0xFFL);
        }
        long lsb = (randB & 0x3FFF_FFFF_FFFF_FFFFL) | 0x8000_0000_0000_0000L;
        return new UUID(msb, lsb);
    }

    /**
     * Checks a type name: non-empty, and neither starting nor ending with {@code _}.
     *
     * @throws IllegalArgumentException naming the problem, if the name is invalid
     * @throws NullPointerException if the name is null
     */
    public static void validateTypeName(String type) {
        Objects.requireNonNull(type, "type");
        String problem = typeNameProblem(type);
        if (problem != null) {
            throw new IllegalArgumentException("invalid type name " + quote(type) + ": " + problem);
        }
    }

    /** Returns whether {@code type} is a valid type name. */
    public static boolean isValidTypeName(String type) {
        return type != null && typeNameProblem(type) == null;
    }

    private static String typeNameProblem(String type) {
        if (type.isEmpty()) {
            return "must not be empty";
        }
        if (type.charAt(0) == '_') {
            return "must not start with '_'";
        }
        if (type.charAt(type.length() - 1) == '_') {
            return "must not end with '_'";
        }
        return null;
    }

    /**
     * Parses the {@code type_uuid} form that {@link #toString()} produces.
     *
     * @throws IllegalArgumentException quoting the input and saying what is wrong, for any string
     *     {@code toString()} never produces
     * @throws NullPointerException if {@code text} is null
     */
    public static TypeId parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.length() < UUID_LENGTH + 2) {
            throw invalid(text, "too short: expected <type>_<uuid> with a 36-character lowercase UUID");
        }
        int separator = text.length() - UUID_LENGTH - 1;
        if (text.charAt(separator) != '_') {
            throw invalid(text, "missing '_' separator before the 36-character UUID");
        }
        String type = text.substring(0, separator);
        String problem = typeNameProblem(type);
        if (problem != null) {
            throw invalid(text, "type name " + problem);
        }
        String uuidText = text.substring(separator + 1);
        UUID uuid = parseCanonicalUuid(uuidText);
        if (uuid == null) {
            throw invalid(text, "\"" + uuidText + "\" is not a canonical lowercase UUID");
        }
        return new TypeId(type, uuid);
    }

    /**
     * Parses a UUID in canonical lowercase form only. Returns null for anything else, including
     * forms {@link UUID#fromString} would accept (uppercase, short groups).
     */
    static UUID parseCanonicalUuid(String s) {
        if (s.length() != UUID_LENGTH) {
            return null;
        }
        long msb = 0;
        long lsb = 0;
        int nibbles = 0;
        for (int i = 0; i < UUID_LENGTH; i++) {
            char c = s.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    return null;
                }
                continue;
            }
            int v;
            if (c >= '0' && c <= '9') {
                v = c - '0';
            } else if (c >= 'a' && c <= 'f') {
                v = c - 'a' + 10;
            } else {
                return null;
            }
            if (nibbles < 16) {
                msb = (msb << 4) | v;
            } else {
                lsb = (lsb << 4) | v;
            }
            nibbles++;
        }
        return new UUID(msb, lsb);
    }

    private static IllegalArgumentException invalid(String text, String problem) {
        return new IllegalArgumentException("invalid TypeId " + quote(text) + ": " + problem);
    }

    /**
     * Quotes {@code text} for an exception message: whole when short, else its beginning and its
     * length, so that an overlong input (a request parameter, a corrupt row) cannot blow up a log.
     */
    private static String quote(String text) {
        if (text.length() <= MAX_QUOTED_LENGTH) {
            return "\"" + text + "\"";
        }
        int end = Character.isHighSurrogate(text.charAt(MAX_QUOTED_LENGTH - 1)) ? MAX_QUOTED_LENGTH - 1 : MAX_QUOTED_LENGTH;
        return "\"" + text.substring(0, end) + "\"... (" + text.length() + " characters)";
    }

    /** Returns a new ID with the same UUID and another type. */
    public TypeId withType(String newType) {
        return new TypeId(newType, uuid);
    }

    /**
     * Orders by type, then UUID, so a sorted list groups IDs by type. UUIDs compare as unsigned
     * 128-bit numbers: the order of their canonical text and of their bytes (the order stores keep),
     * which {@link UUID#compareTo} breaks for UUIDs whose top bit is set.
     */
    @Override
    public int compareTo(TypeId other) {
        int byType = type.compareTo(other.type);
        if (byType != 0) {
            return byType;
        }
        int high = Long.compareUnsigned(uuid.getMostSignificantBits(), other.uuid.getMostSignificantBits());
        return high != 0 ? high : Long.compareUnsigned(uuid.getLeastSignificantBits(), other.uuid.getLeastSignificantBits());
    }

    /** Returns {@code type_uuid} with the canonical lowercase UUID. */
    @Override
    public String toString() {
        return type + '_' + uuid;
    }
}
