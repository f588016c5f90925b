package dev.estoria.bench;

import java.util.Locale;
import java.util.Objects;

/**
 * A stated goal and whether the run met it.
 *
 * @param goal what was aimed for, in words (for example "64 writers, 1 event: >= 20x the baseline")
 * @param measured the figure the run measured, in the goal's unit
 * @param target the threshold
 * @param higherIsBetter whether the measured figure must reach the target from above ({@code >=}) or
 *     stay under it ({@code <=})
 */
public record GoalCheck(String goal, double measured, double target, boolean higherIsBetter) {

    public GoalCheck {
        Objects.requireNonNull(goal, "goal");
    }

    /** A goal met when {@code measured >= target}. */
    public static GoalCheck atLeast(String goal, double measured, double target) {
        return new GoalCheck(goal, measured, target, true);
    }

    /** A goal met when {@code measured <= target}. */
    public static GoalCheck atMost(String goal, double measured, double target) {
        return new GoalCheck(goal, measured, target, false);
    }

    /** Whether the measured figure meets the target; a NaN figure (nothing measured) never does. */
    public boolean met() {
        if (Double.isNaN(measured)) {
            return false;
        }
        return higherIsBetter ? measured >= target : measured <= target;
    }

    /** One Markdown table row: goal, measured, target, verdict. */
    String[] cells() {
        return new String[] {goal, Format.number(measured), (higherIsBetter ? ">= " : "<= ") + Format.number(target),
                met() ? "met" : "**not met**"};
    }

    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%s: %s (%s)", goal, Format.number(measured), met() ? "met" : "not met");
    }
}
