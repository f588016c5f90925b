package dev.estoria.cli;

import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;

/**
 * Reads lines of strict UTF-8 text, one at a time, ending at {@code \n}, {@code \r\n} or {@code \r}
 * as {@link java.io.BufferedReader#readLine()} does.
 *
 * <p>Unlike a reader that decodes ahead of the line it returns, it decodes each line on its own, so
 * bytes that are not UTF-8 fail the very line that holds them: the caller's line count names it.
 */
final class Utf8Lines implements Closeable {

    private final InputStream in;
    private final CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private final byte[] buffer = new byte[1 << 16];
    private int position;
    private int limit;
    private byte[] line = new byte[1024];
    private int length;
    private boolean skipLineFeed;

    Utf8Lines(InputStream in) {
        this.in = Objects.requireNonNull(in, "in");
    }

    /**
     * The next line without its line break, or null at the end of the input.
     *
     * @throws CharacterCodingException if the line is not valid UTF-8; the next call reads the next line
     */
    String readLine() throws IOException {
        length = 0;
        boolean any = false;
        while (true) {
            if (position == limit && !fill()) {
                if (!any) {
                    return null;
                }
                break;
            }
            byte b = buffer[position++];
            if (skipLineFeed) {
                skipLineFeed = false;
                if (b == '\n') {
                    continue;
                }
            }
            any = true;
            if (b == '\n') {
                break;
            }
            if (b == '\r') {
                skipLineFeed = true;
                break;
            }
            if (length == line.length) {
                line = Arrays.copyOf(line, Math.max(line.length * 2, 1024));
            }
            line[length++] = b;
        }
        return decoder.decode(ByteBuffer.wrap(line, 0, length)).toString();
    }

    private boolean fill() throws IOException {
        int n = in.read(buffer, 0, buffer.length);
        while (n == 0) {
            n = in.read(buffer, 0, buffer.length);
        }
        position = 0;
        limit = Math.max(n, 0);
        return n > 0;
    }

    @Override
    public void close() throws IOException {
        in.close();
    }
}
