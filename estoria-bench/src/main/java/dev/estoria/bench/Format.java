package dev.estoria.bench;

import java.util.Locale;

/** Number formatting shared by the tables. */
final class Format {

    private Format() {
    }

    /** A rate or count: no decimals from 100 up, two below. */
    static String number(double value) {
        if (Double.isNaN(value)) {
            return "n/a";
        }
        if (Math.abs(value) >= 100) {
            return String.format(Locale.ROOT, "%,.0f", value);
        }
        return String.format(Locale.ROOT, "%.2f", value);
    }

    /** A duration given in nanoseconds, shown in milliseconds. */
    static String millis(double nanos) {
        if (Double.isNaN(nanos)) {
            return "n/a";
        }
        double ms = nanos / 1e6;
        return String.format(Locale.ROOT, ms >= 100 ? "%,.0f" : ms >= 1 ? "%.2f" : "%.3f", ms);
    }

    /** A ratio such as {@code 23.4x}. */
    static String ratio(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            return "n/a";
        }
        return String.format(Locale.ROOT, value >= 10 ? "%.1fx" : "%.2fx", value);
    }
}
