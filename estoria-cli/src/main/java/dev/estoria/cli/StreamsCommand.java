package dev.estoria.cli;

import dev.estoria.cli.format.EventJson;
import dev.estoria.cli.format.EventTable;
import dev.estoria.cli.store.CliStore;
import dev.estoria.cli.store.OpenMode;
import dev.estoria.eventstore.StreamInfo;
import java.util.List;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code streams}: lists the streams and their versions. */
@Command(name = "streams",
        description = {"List every stream with its version (the version of its last event), ordered by stream ID.",
            "As NDJSON, one {\"streamId\":...,\"version\":...} object per line."})
final class StreamsCommand extends StoreCommand {

    @Mixin
    OutputOptions output;

    @Override
    public Integer call() {
        List<StreamInfo> streams;
        try (CliStore store = open(OpenMode.MUST_EXIST)) {
            streams = store.listStreams();
        }
        if (output.format == OutputOptions.Format.TABLE) {
            EventTable.streams(out(), streams);
        } else {
            for (StreamInfo stream : streams) {
                out().println(EventJson.write(stream));
            }
        }
        return ExitCodes.OK;
    }
}
