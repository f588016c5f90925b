package dev.estoria.cli;

import java.util.regex.Pattern;

/** Quoting for the commands {@code demo} suggests, so they can be pasted into a POSIX shell. */
final class Shell {

    private static final Pattern SAFE = Pattern.compile("[A-Za-z0-9_./:=@%+,-]+");

    private Shell() {}

    static String quote(String word) {
        if (SAFE.matcher(word).matches()) {
            return word;
        }
        return "'" + word.replace("'", "'\\''") + "'";
    }
}
