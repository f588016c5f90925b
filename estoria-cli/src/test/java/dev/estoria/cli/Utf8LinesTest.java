package dev.estoria.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.StringReader;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class Utf8LinesTest {

    static List<String> lines(byte[] bytes) throws IOException {
        List<String> lines = new ArrayList<>();
        try (Utf8Lines reader = new Utf8Lines(new ByteArrayInputStream(bytes))) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines.add(line);
            }
        }
        return lines;
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "a", "a\n", "a\nb", "a\r\nb\r\n", "a\rb\r", "\n\n", "\r\n\r\n", "a\r\r\nb", "é😀\n\uFEFFx\n"})
    void splitsLinesAsBufferedReaderDoes(String text) throws IOException {
        List<String> expected = new BufferedReader(new StringReader(text)).lines().toList();

        assertThat(lines(text.getBytes(StandardCharsets.UTF_8))).isEqualTo(expected);
    }

    @Test
    void readsLinesLongerThanItsBuffer() throws IOException {
        String longLine = "é".repeat(200_000);

        assertThat(lines((longLine + "\r\n" + longLine).getBytes(StandardCharsets.UTF_8)))
                .containsExactly(longLine, longLine);
    }

    @Test
    void bytesThatAreNotUtf8FailTheLineThatHoldsThem() throws IOException {
        byte[] good = "ok\n".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = new byte[good.length * 100 + 5];
        for (int i = 0; i < 100; i++) {
            System.arraycopy(good, 0, bytes, i * good.length, good.length);
        }
        System.arraycopy(new byte[] {'c', 'a', 'f', (byte) 0xe9, '\n'}, 0, bytes, good.length * 100, 5);

        try (Utf8Lines reader = new Utf8Lines(new ByteArrayInputStream(bytes))) {
            for (int i = 0; i < 100; i++) {
                assertThat(reader.readLine()).isEqualTo("ok");
            }
            assertThatThrownBy(reader::readLine).isInstanceOf(CharacterCodingException.class);
            assertThat(reader.readLine()).isNull();
        }
    }
}
