package dev.estoria.bench;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class ResultTableTest {

    @Test
    void rendersHeaderSeparatorRowsAndNotes() {
        ResultTable table = new ResultTable.Builder("Reads", "read", "events/s")
                .row("catch-up", "1,000")
                .row("a|b", "2")
                .note("One note.")
                .build();

        String markdown = table.toMarkdown();

        assertThat(markdown).startsWith("### Reads\n\n| read | events/s |\n| --- | ---: |\n| catch-up | 1,000 |\n");
        assertThat(markdown).contains("| a\\|b | 2 |").endsWith("\nOne note.\n");
        assertThat(Markdown.assertWellFormedTables(markdown)).hasSize(1);
    }

    @Test
    void refusesRowsOfTheWrongWidth() {
        assertThatThrownBy(() -> new ResultTable.Builder("T", "a", "b").row("only one").build())
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("2 columns");
        assertThatThrownBy(() -> new ResultTable("T", List.of(), List.of(), List.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void goalsCompareInTheirDirectionAndNeverPassOnNaN() {
        assertThat(GoalCheck.atLeast("ratio", 20, 20).met()).isTrue();
        assertThat(GoalCheck.atLeast("ratio", 19.9, 20).met()).isFalse();
        assertThat(GoalCheck.atMost("p50 ms", 4.9, 5).met()).isTrue();
        assertThat(GoalCheck.atMost("p50 ms", 5.1, 5).met()).isFalse();
        assertThat(GoalCheck.atLeast("ratio", Double.NaN, 0).met()).isFalse();

        BenchReport report = new BenchReport("R", List.of("env"), List.of(),
                List.of(GoalCheck.atLeast("ratio", 1, 2)));
        assertThat(report.allGoalsMet()).isFalse();
        assertThat(report.toMarkdown()).contains("| ratio | 1.00 | >= 2.00 | **not met** |");
    }

    @Test
    void heapCheckCountsOnlyAChildThatRanInTheHeapItWasGiven() {
        String mib256 = Long.toString(256L * 1024 * 1024);
        ChildJvm.Outcome inHeap = new ChildJvm.Outcome(0, "OK 2000 1000000 5000000 " + mib256 + "\n");
        // _JAVA_OPTIONS=-Xmx1g overrides the child's -Xmx256m; the child then read in a 1 GiB heap.
        ChildJvm.Outcome larger = new ChildJvm.Outcome(0,
                "Picked up _JAVA_OPTIONS: -Xmx1g\nOK 2000 1000000 5000000 " + (1L << 30) + "\n");

        assertThat(HeapCheck.goal(inHeap, 2000).met()).isTrue();
        assertThat(HeapCheck.goal(larger, 2000).met()).isFalse();
        assertThat(HeapCheck.table(larger, 2000).rows().get(0).get(1)).startsWith("no");
    }

    @Test
    void statsTakeMediansAndNearestRankPercentiles() {
        assertThat(Stats.median(new double[] {3, 1, 2})).isEqualTo(2);
        assertThat(Stats.median(new double[] {4, 1, 2, 3})).isEqualTo(2.5);
        assertThat(Stats.median(new double[0])).isNaN();
        long[] sorted = new long[100];
        for (int i = 0; i < 100; i++) {
            sorted[i] = i + 1;
        }
        assertThat(Stats.percentile(sorted, 100, 0.5)).isEqualTo(50);
        assertThat(Stats.percentile(sorted, 100, 0.99)).isEqualTo(99);
        assertThat(Stats.percentile(sorted, 1, 0.99)).isEqualTo(1);
    }
}
