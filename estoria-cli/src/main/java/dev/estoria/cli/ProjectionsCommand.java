package dev.estoria.cli;

import com.fasterxml.jackson.core.JsonGenerator;
import dev.estoria.cli.format.Json;
import dev.estoria.cli.format.Table;
import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.EventFilter;
import dev.estoria.projection.Checkpoint;
import dev.estoria.projection.ProjectionProcessor;
import dev.estoria.projection.ProjectionStatus;
import java.io.IOException;
import java.io.StringWriter;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code projections}: lists the projections that keep checkpoints in the store, with where each
 * stands and how far behind the log it is.
 *
 * <p>For each checkpoint: its position; its lag, the number of events after that position that the
 * projection would handle with the default filter of {@link ProjectionProcessor} (application
 * streams: Estoria's own streams left out), counted up to {@code --lag-cap}; when it was last saved;
 * and a state judged from that time, since a running processor saves its checkpoint at least once
 * per poll interval even when idle: {@code live} if saved within {@code --live-within} seconds,
 * {@code stale} otherwise.
 */
@Command(name = "projections",
        description = {"List the projections that keep checkpoints in the store: position, lag, last update, state.",
            "Lag counts the events after the checkpoint (application streams, up to --lag-cap). A projection is live if its checkpoint was saved within --live-within seconds, "
                    + "stale otherwise."})
final class ProjectionsCommand extends StoreCommand {

    /** The default of {@code --lag-cap}. */
    static final long LAG_CAP = 100_000;

    @Option(names = "--live-within", paramLabel = "SECONDS", converter = Converters.Positive.class,
            defaultValue = "60",
            description = "Call a projection live if its checkpoint was saved within SECONDS (default ${DEFAULT-VALUE}).")
    long liveWithinSeconds;

    @Option(names = "--lag-cap", paramLabel = "N", converter = Converters.Positive.class,
            defaultValue = "" + LAG_CAP,
            description = "Count at most N events of lag per projection; more shows as N+ (default ${DEFAULT-VALUE}).")
    long lagCap;

    @Mixin
    OutputOptions output;

    /** One projection as printed. */
    record Row(Checkpoint checkpoint, long lag, boolean lagCapped, Duration age, String state) {}

    @Override
    public Integer call() {
        Instant now = environment().clock().instant();
        EventFilter filter = ProjectionProcessor.Options.defaults().filter();
        List<Row> rows = new ArrayList<>();
        try (CliStore store = open(OpenMode.MUST_EXIST)) {
            for (Checkpoint checkpoint : store.checkpoints().list()) {
                // One past the cap, to tell "at the cap" from "beyond it".
                long lag = ProjectionStatus.countBehind(store, checkpoint.position(), filter,
                        lagCap == Long.MAX_VALUE ? lagCap : lagCap + 1);
                Duration age = Duration.between(checkpoint.updatedAt(), now);
                String state = age.compareTo(Duration.ofSeconds(liveWithinSeconds)) <= 0 ? "live" : "stale";
                rows.add(new Row(checkpoint, Math.min(lag, lagCap), lag > lagCap, age, state));
            }
        }
        if (output.format == OutputOptions.Format.TABLE) {
            Table table = Table.of(out(), "PROJECTION", ">POSITION", ">LAG", "UPDATED", ">AGE", "STATE");
            for (Row row : rows) {
                table.row(row.checkpoint().projectionId().toString(), Long.toString(row.checkpoint().position()),
                        row.lag() + (row.lagCapped() ? "+" : ""),
                        row.checkpoint().updatedAt().truncatedTo(ChronoUnit.SECONDS).toString(),
                        age(row.age()), row.state());
            }
            table.finish("(no projections)");
        } else {
            rows.forEach(row -> out().println(json(row)));
        }
        return ExitCodes.OK;
    }

    /** A short age for people: 42s, 5m, 3h, 12d; a checkpoint from the future (clock skew) is 0s. */
    static String age(Duration age) {
        long seconds = Math.max(0, age.toSeconds());
        if (seconds < 120) {
            return seconds + "s";
        }
        if (seconds < 120 * 60) {
            return seconds / 60 + "m";
        }
        if (seconds < 48 * 3600) {
            return seconds / 3600 + "h";
        }
        return seconds / 86400 + "d";
    }

    private static String json(Row row) {
        StringWriter buffer = new StringWriter(160);
        try (JsonGenerator json = Json.generator(buffer)) {
            json.writeStartObject();
            json.writeStringField("projection", row.checkpoint().projectionId().toString());
            json.writeStringField("name", row.checkpoint().projectionId().name());
            json.writeNumberField("version", row.checkpoint().projectionId().version());
            json.writeNumberField("position", row.checkpoint().position());
            json.writeNumberField("lag", row.lag());
            json.writeBooleanField("lagCapped", row.lagCapped());
            json.writeStringField("updatedAt", row.checkpoint().updatedAt().toString());
            json.writeNumberField("ageSeconds", Math.max(0, row.age().toSeconds()));
            json.writeStringField("state", row.state());
            json.writeEndObject();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot render projection " + row.checkpoint().projectionId(), e);
        }
        return buffer.toString();
    }
}
