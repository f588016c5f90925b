package dev.estoria.bench;

import java.util.List;
import java.util.Objects;

/**
 * The outcome of one benchmark run: its tables and its goals.
 *
 * @param title what was run, against what
 * @param environment how it was run (settings, machine), printed under the title
 * @param tables the result tables, in order
 * @param goals the stated goals with the figures this run measured
 */
public record BenchReport(String title, List<String> environment, List<ResultTable> tables, List<GoalCheck> goals) {

    public BenchReport {
        Objects.requireNonNull(title, "title");
        environment = List.copyOf(environment);
        tables = List.copyOf(tables);
        goals = List.copyOf(goals);
    }

    /** Whether every goal was met (true when there are none). */
    public boolean allGoalsMet() {
        return goals.stream().allMatch(GoalCheck::met);
    }

    /** The goals as a table: goal, measured, target, verdict. */
    public ResultTable goalTable() {
        ResultTable.Builder table = new ResultTable.Builder("Goals", "goal", "measured", "target", "verdict");
        for (GoalCheck goal : goals) {
            table.row(goal.cells());
        }
        return table.build();
    }

    /** Renders the report as Markdown: a level-2 heading, the environment, every table, then the goals. */
    public String toMarkdown() {
        StringBuilder out = new StringBuilder();
        out.append("## ").append(title).append("\n\n");
        for (String line : environment) {
            out.append("- ").append(line).append('\n');
        }
        for (ResultTable table : tables) {
            out.append('\n').append(table.toMarkdown());
        }
        if (!goals.isEmpty()) {
            out.append('\n').append(goalTable().toMarkdown());
        }
        return out.toString();
    }
}
