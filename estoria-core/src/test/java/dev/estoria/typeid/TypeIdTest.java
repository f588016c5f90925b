package dev.estoria.typeid;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TypeIdTest {

    private static final UUID SAMPLE = UUID.fromString("9791012c-cd5b-4795-9c54-6085975d599b");

    @Test
    void rendersTypeUnderscoreCanonicalLowercaseUuid() {
        assertThat(TypeId.of("user", SAMPLE).toString()).isEqualTo("user_9791012c-cd5b-4795-9c54-6085975d599b");
        assertThat(TypeId.of("user", new UUID(0, 0)).toString())
                .isEqualTo("user_00000000-0000-0000-0000-000000000000");
    }

    @ParameterizedTest
    @ValueSource(strings = {"user", "usersnapshot", "funds_deposited", "user_account_v2", "estoria.rebuild", "a",
            "Ünïcode type", "x-y"})
    void parseIsTheInverseOfToString(String type) {
        for (TypeId id : List.of(TypeId.newV4(type), TypeId.newV7(type), TypeId.of(type, new UUID(0, 0)),
                TypeId.of(type, SAMPLE))) {
            assertThat(TypeId.parse(id.toString())).isEqualTo(id);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "",
        "user",
        "user9791012c-cd5b-4795-9c54-6085975d599b",
        "_9791012c-cd5b-4795-9c54-6085975d599b",
        "user_",
        "user_not-a-uuid",
        "user_zzzzzzzz-zzzz-zzzz-zzzz-zzzzzzzzzzzz",
        "9791012c-cd5b-4795-9c54-6085975d599b",
        "_user_9791012c-cd5b-4795-9c54-6085975d599b",
        "user__9791012c-cd5b-4795-9c54-6085975d599b",
        "user_{9791012c-cd5b-4795-9c54-6085975d599b}",
        "user_urn:uuid:9791012c-cd5b-4795-9c54-6085975d599b",
        "user_9791012ccd5b47959c546085975d599b",
        "user_9791012C-CD5B-4795-9C54-6085975D599B",
        "user_9791012c-cd5b-4795-9c54-6085975d599b ",
        "user_9791012c_cd5b_4795_9c54_6085975d599b",
        "user_9791012c-cd5b-4795-9c546-085975d599b"
    })
    void parseRejectsWhatToStringNeverProduces(String text) {
        assertThatThrownBy(() -> TypeId.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("\"" + text + "\"");
    }

    @Test
    void parseMessagesSayWhatIsWrong() {
        assertThatThrownBy(() -> TypeId.parse("user")).hasMessageContaining("too short");
        assertThatThrownBy(() -> TypeId.parse("user-9791012c-cd5b-4795-9c54-6085975d599b"))
                .hasMessageContaining("separator");
        assertThatThrownBy(() -> TypeId.parse("user__9791012c-cd5b-4795-9c54-6085975d599b"))
                .hasMessageContaining("must not end with '_'");
        assertThatThrownBy(() -> TypeId.parse("user_9791012C-CD5B-4795-9C54-6085975D599B"))
                .hasMessageContaining("canonical lowercase UUID");
    }

    @Test
    void typeNamesMustBeNonEmptyAndNotUnderscoreEdged() {
        assertThatThrownBy(() -> TypeId.of("", SAMPLE)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("empty");
        assertThatThrownBy(() -> TypeId.of("_user", SAMPLE)).hasMessageContaining("start");
        assertThatThrownBy(() -> TypeId.of("user_", SAMPLE)).hasMessageContaining("end");
        assertThatThrownBy(() -> TypeId.of(null, SAMPLE)).isInstanceOf(NullPointerException.class);
        assertThatThrownBy(() -> TypeId.of("user", null)).isInstanceOf(NullPointerException.class);
        assertThat(TypeId.isValidTypeName("a_b")).isTrue();
        assertThat(TypeId.isValidTypeName("_")).isFalse();
        assertThat(TypeId.isValidTypeName(null)).isFalse();
    }

    @Test
    void factoriesMintVersion4AndVersion7Uuids() {
        for (int i = 0; i < 100; i++) {
            UUID v4 = TypeId.newV4("t").uuid();
            UUID v7 = TypeId.newV7("t").uuid();
            assertThat(v4.version()).isEqualTo(4);
            assertThat(v4.variant()).isEqualTo(2);
            assertThat(v7.version()).isEqualTo(7);
            assertThat(v7.variant()).isEqualTo(2);
        }
    }

    @Test
    void version7CarriesItsMillisecondAndSortsByIt() {
        long now = System.currentTimeMillis();
        UUID uuid = TypeId.timeOrderedV7(now);
        assertThat(uuid.getMostSignificantBits() >>> 16).isEqualTo(now);

        List<String> rendered = new ArrayList<>();
        for (long millis = now; millis < now + 50; millis++) {
            rendered.add(TypeId.of("t", TypeId.timeOrderedV7(millis)).toString());
        }
        // The canonical text sorts in creation order across milliseconds, which is what stores and
        // humans compare.
        assertThat(rendered).isSorted();
        assertThatThrownBy(() -> TypeId.timeOrderedV7(-1)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void ordersByTypeThenUuidAsItsCanonicalTextDoes() {
        List<TypeId> ids = new ArrayList<>();
        for (String uuid : new String[] {"00000000-0000-4000-8000-000000000000", "7fffffff-ffff-4fff-bfff-ffffffffffff",
                "80000000-0000-4000-8000-000000000000", "ffffffff-ffff-4fff-bfff-ffffffffffff",
                "ffffffff-ffff-4fff-0000-000000000000"}) {
            ids.add(TypeId.of("b", UUID.fromString(uuid)));
            ids.add(TypeId.of("a", UUID.fromString(uuid)));
        }
        List<TypeId> byText = ids.stream().sorted(Comparator.comparing(TypeId::type)
                .thenComparing(id -> id.uuid().toString())).toList();
        assertThat(ids.stream().sorted().toList()).containsExactlyElementsOf(byText);
        assertThat(TypeId.of("a", SAMPLE)).isEqualByComparingTo(TypeId.parse("a_" + SAMPLE));
    }

    @Test
    void equalityIsByTypeAndUuid() {
        assertThat(TypeId.of("a", SAMPLE)).isEqualTo(TypeId.parse("a_" + SAMPLE));
        assertThat(TypeId.of("a", SAMPLE)).isNotEqualTo(TypeId.of("b", SAMPLE));
        assertThat(TypeId.of("a", SAMPLE).withType("b")).isEqualTo(TypeId.of("b", SAMPLE));
    }

    @Test
    void messagesQuoteOverlongInputOnlyInPart() {
        // A megabyte from a request parameter or a damaged row must not become a megabyte-long
        // exception message (and log line).
        String huge = "x".repeat(1_000_000);
        for (String text : List.of(huge, huge + "_" + SAMPLE.toString().toUpperCase(), "_" + huge + "_" + SAMPLE)) {
            assertThatThrownBy(() -> TypeId.parse(text))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("invalid TypeId \"" + text.substring(0, 200) + "\"...")
                    .hasMessageContaining("(" + text.length() + " characters)")
                    .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400));
        }
        assertThatThrownBy(() -> TypeId.of(huge + "_", SAMPLE))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("must not end with '_'")
                .satisfies(e -> assertThat(e.getMessage()).hasSizeLessThan(400));
        // Short input is still quoted whole, and a surrogate pair is never cut in half.
        assertThatThrownBy(() -> TypeId.parse("user")).hasMessageStartingWith("invalid TypeId \"user\":");
        String pairs = "a" + "\uD83D\uDE00".repeat(150) + "_"; // a high surrogate at index 199
        assertThatThrownBy(() -> TypeId.of(pairs, SAMPLE))
                .satisfies(e -> assertThat(e.getMessage()).startsWith("invalid type name \"" + pairs.substring(0, 199) + "\"..."));
    }
}
