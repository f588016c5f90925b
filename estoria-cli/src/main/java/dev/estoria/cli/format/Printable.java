package dev.estoria.cli.format;

/**
 * Text made safe for a terminal: control characters (a newline in a type, an ESC that would start
 * a colour sequence, a NUL) are shown as escapes rather than acted on, so a value from the store
 * cannot break a table's rows or change the terminal's state.
 */
public final class Printable {

    private Printable() {
    }

    /**
     * {@code text} with each control character (U+0000 to U+001F and U+007F to U+009F) written as
     * {@code \n}, {@code \r}, {@code \t} or {@code \\u} and four hex digits; other text unchanged.
     */
    public static String escapeControls(String text) {
        int i = 0;
        while (i < text.length() && !Character.isISOControl(text.charAt(i))) {
            i++;
        }
        if (i == text.length()) {
            return text; // the common case: nothing to escape, nothing copied
        }
        StringBuilder escaped = new StringBuilder(text.length() + 16).append(text, 0, i);
        for (; i < text.length(); i++) {
            char c = text.charAt(i);
            switch (c) {
                case '\n' -> escaped.append("\\n");
                case '\r' -> escaped.append("\\r");
                case '\t' -> escaped.append("\\t");
                default -> {
                    if (Character.isISOControl(c)) {
                        escaped.append(String.format("\\u%04x", (int) c));
                    } else {
                        escaped.append(c);
                    }
                }
            }
        }
        return escaped.toString();
    }
}
