package dev.estoria.cli;

import dev.estoria.typeid.TypeId;
import java.util.Locale;
import java.util.UUID;
import java.util.regex.Pattern;
import picocli.CommandLine.ITypeConverter;
import picocli.CommandLine.TypeConversionException;

/** Option converters that reject bad values with one clear line, before anything is opened. */
final class Converters {

    private Converters() {}

    /** A stream ID in the {@code type_uuid} form. */
    static final class StreamId implements ITypeConverter<TypeId> {
        @Override
        public TypeId convert(String value) {
            try {
                return TypeId.parse(value);
            } catch (IllegalArgumentException e) {
                throw new TypeConversionException(e.getMessage().replace("invalid TypeId", "invalid stream ID"));
            }
        }
    }

    /** A whole number, 0 or more. */
    static final class NonNegative implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String negative = "must not be negative, was " + value;
            long number = number(value, negative);
            if (number < 0) {
                throw new TypeConversionException(negative);
            }
            return number;
        }
    }

    /** A whole number, 1 or more. */
    static final class Positive implements ITypeConverter<Long> {
        @Override
        public Long convert(String value) {
            String belowOne = "must be 1 or more, was " + value;
            long number = number(value, belowOne);
            if (number < 1) {
                throw new TypeConversionException(belowOne);
            }
            return number;
        }
    }

    /** A UUID in the 8-4-4-4-12 hexadecimal form, any letter case; stored lowercase. */
    static final class Uuid implements ITypeConverter<UUID> {
        private static final Pattern FORM =
                Pattern.compile("[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

        @Override
        public UUID convert(String value) {
            if (!FORM.matcher(value).matches()) {
                throw new TypeConversionException(
                        "\"" + value + "\" is not a UUID (expected 8-4-4-4-12 hexadecimal digits)");
            }
            return UUID.fromString(value.toLowerCase(Locale.ROOT));
        }
    }

    /** {@code value} as a long; {@code whenNegative} is the message for a negative one past its range. */
    private static long number(String value, String whenNegative) {
        try {
            return Long.parseLong(value);
        } catch (NumberFormatException e) {
            if (value.matches("-\\d+")) {
                throw new TypeConversionException(whenNegative);
            }
            if (value.matches("\\+?\\d+")) {
                throw new TypeConversionException("\"" + value + "\" is too large: at most " + Long.MAX_VALUE);
            }
            throw new TypeConversionException("\"" + value + "\" is not a whole number");
        }
    }
}
