package dev.estoria.projection;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.estoria.typeid.TypeId;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ProjectionValuesTest {

    @Test
    void projectionStatusKeepsItsOwnCopyOfTheFailures() {
        List<ProjectionFailure> failures = new ArrayList<>();
        failures.add(new ProjectionFailure(3, TypeId.newV7("deposited"), TypeId.newV7("account"), "boom",
                Instant.parse("2026-01-02T03:04:05Z")));
        ProjectionStatus status = new ProjectionStatus(ProjectionId.of("balances", 1), ProjectionStatus.State.LIVE,
                3, 3, 0, Duration.ZERO, 3, failures);

        failures.clear();

        assertThat(status.failures()).as("the caller's list changed after construction").hasSize(1);
        assertThatThrownBy(() -> status.failures().clear()).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> new ProjectionStatus(ProjectionId.of("balances", 1), ProjectionStatus.State.NEW,
                0, 0, 0, Duration.ZERO, 0, null)).isInstanceOf(NullPointerException.class).hasMessage("failures");
    }

    @Test
    void processorOptionsNameTheFieldAndTheValueTheyRefuse() {
        ProjectionProcessor.Options defaults = ProjectionProcessor.Options.defaults();
        assertThatThrownBy(() -> defaults.batchSize(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("batchSize must be >= 1, was 0");
        assertThatThrownBy(() -> defaults.batchSize(-5))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("batchSize must be >= 1, was -5");
        assertThatThrownBy(() -> defaults.checkpointEvery(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessage("checkpointEvery must be >= 1, was 0");
    }
}
