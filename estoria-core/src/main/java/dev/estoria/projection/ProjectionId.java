package dev.estoria.projection;

import java.util.Objects;

/**
 * Identifies a projection and the version of its logic: {@code orders} version 2 is written {@code
 * orders_v2}. A new version is a new projection that rebuilds from the start beside the old one.
 *
 * <p>The name starts with a lowercase letter, holds only {@code [a-z0-9_]}, does not end with
 * {@code _}, and is at most {@value #MAX_NAME_LENGTH} characters, so {@link #toString()} is safe as
 * an unquoted SQL identifier. The version is at least 1.
 *
 * @param name the projection's name
 * @param version the version of its logic
 */
public record ProjectionId(String name, int version) {

    /** The longest name accepted. */
    public static final int MAX_NAME_LENGTH = 40;

    /** @throws IllegalArgumentException naming the rule the name or version breaks */
    public ProjectionId {
        Objects.requireNonNull(name, "name");
        String problem = nameProblem(name);
        if (problem != null) {
            throw new IllegalArgumentException("invalid projection name \"" + name + "\": " + problem);
        }
        if (version < 1) {
            throw new IllegalArgumentException("projection version must be >= 1, was " + version);
        }
    }

    /** Projection {@code name}, version {@code version}. */
    public static ProjectionId of(String name, int version) {
        return new ProjectionId(name, version);
    }

    /**
     * Parses {@code name_vN}, as {@link #toString} writes it: {@code N} in decimal digits without a
     * sign or leading zeros, so that the text of an ID is always the same.
     *
     * @throws IllegalArgumentException if the text is not of that form
     */
    public static ProjectionId parse(String text) {
        Objects.requireNonNull(text, "text");
        int v = text.lastIndexOf("_v");
        if (v <= 0) {
            throw new IllegalArgumentException("invalid projection ID \"" + text + "\": expected <name>_v<version>");
        }
        String digits = text.substring(v + 2);
        if (!digits.matches("[1-9][0-9]*")) {
            throw new IllegalArgumentException("invalid projection ID \"" + text + "\": the version must be written as"
                    + " a positive decimal number without a sign or leading zeros");
        }
        try {
            return new ProjectionId(text.substring(0, v), Integer.parseInt(digits));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("invalid projection ID \"" + text + "\": the version is not a number", e);
        }
    }

    private static String nameProblem(String name) {
        if (name.isEmpty()) {
            return "must not be empty";
        }
        if (name.length() > MAX_NAME_LENGTH) {
            return "longer than " + MAX_NAME_LENGTH + " characters";
        }
        if (name.charAt(0) < 'a' || name.charAt(0) > 'z') {
            return "must start with a lowercase letter";
        }
        for (int i = 0; i < name.length(); i++) {
            char c = name.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_')) {
                return "may contain only a-z, 0-9 and '_'";
            }
        }
        if (name.endsWith("_")) {
            return "must not end with '_'";
        }
        return null;
    }

    /** {@code name_vN}. */
    @Override
    public String toString() {
        return name + "_v" + version;
    }
}
