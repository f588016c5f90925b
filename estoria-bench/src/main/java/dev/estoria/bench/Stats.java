package dev.estoria.bench;

import java.util.Arrays;

/** Medians and percentiles. */
final class Stats {

    private Stats() {
    }

    /** The median of the values (the mean of the middle two for an even count); NaN if there are none. */
    static double median(double[] values) {
        if (values.length == 0) {
            return Double.NaN;
        }
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int mid = sorted.length / 2;
        return sorted.length % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    }

    /** The nearest-rank percentile {@code q} (0 < q <= 1) of sorted values; NaN if there are none. */
    static double percentile(long[] sorted, int count, double q) {
        if (count == 0) {
            return Double.NaN;
        }
        int rank = (int) Math.ceil(q * count);
        return sorted[Math.max(0, Math.min(count - 1, rank - 1))];
    }
}
