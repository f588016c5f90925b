package dev.estoria.cli;

import dev.estoria.bench.BenchReport;
import dev.estoria.bench.BenchSettings;
import dev.estoria.bench.Benchmarks;
import dev.estoria.bench.Progress;
import dev.estoria.cli.store.StoreTarget;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code bench}: the benchmarks of the SQLite store, or of a PostgreSQL store with {@code --postgres}. */
@Command(name = "bench",
        description = {"Measure the store against same-run baselines, and print the results as Markdown tables.",
            "They give appends/s with p50/p99 at several writer counts, stream and catch-up reads against a raw JDBC",
            "scan, a 1M-event catch-up in a 256 MiB heap, aggregate loads with and without a snapshot, and",
            "append-to-handler latency. Without --postgres it runs on fresh SQLite files in --dir (never on --db);",
            "with --postgres it works in fresh bench_* schemas of that database and drops them afterwards.",
            "A full run takes several minutes; --quick runs a small version of everything."})
final class BenchCommand extends StoreCommand {

    @Option(names = "--quick", description = "A small, fast run (checks the harness; its figures mean little).")
    boolean quick;

    @Option(names = "--only", paramLabel = "SECTIONS", split = ",",
            description = "Run only these: appends, reads, aggregate, projection (default: all).")
    List<String> only = List.of();

    @Option(names = "--repetitions", paramLabel = "N",
            description = "Repetitions of each measurement; the tables report medians (default: 3).")
    Integer repetitions;

    @Option(names = "--dir", paramLabel = "DIR", description = "Where the SQLite benchmarks put their files "
            + "(default: a temporary directory).")
    Path dir;

    @Option(names = "--out", paramLabel = "FILE", description = "Also write the tables to FILE.")
    Path outFile;

    @Override
    public Integer call() throws Exception {
        Set<Benchmarks.Section> sections = EnumSet.noneOf(Benchmarks.Section.class);
        for (String name : only) {
            try {
                sections.add(Benchmarks.Section.valueOf(name.trim().toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new BadInputException("unknown --only section \"" + name
                        + "\"; expected appends, reads, aggregate or projection");
            }
        }
        if (repetitions != null && repetitions < 1) {
            throw new BadInputException("--repetitions must be at least 1, was " + repetitions);
        }
        StoreTarget target = storeOptions().target();
        // Checked before a run of minutes, not after it.
        if (storeOptions().db != null) {
            throw new BadInputException("bench never runs on --db: it works in fresh files in --dir (default: a"
                    + " temporary directory)");
        }
        if (storeOptions().schema != null) {
            throw new BadInputException("bench does not use --schema: it works in fresh bench_* schemas of the"
                    + " --postgres database and drops them afterwards");
        }
        if (dir != null && Files.exists(dir) && !Files.isDirectory(dir)) {
            throw new BadInputException("--dir " + dir + " is not a directory");
        }
        if (outFile != null) {
            checkWritable(outFile);
        }
        BenchSettings settings = (quick ? BenchSettings.quick() : BenchSettings.full())
                .withProgress(Progress.printingTo(err()));
        if (dir != null) {
            settings = settings.withWorkDirectory(dir);
        }
        if (repetitions != null) {
            settings = settings.withRepetitions(repetitions);
        }
        List<BenchReport> reports = switch (target) {
            case StoreTarget.File file -> {
                err().println("Benchmarking the SQLite store in fresh files (" + (quick ? "quick" : "full")
                        + " run; this takes a while)...");
                err().flush();
                yield Benchmarks.sqlite(settings, sections);
            }
            case StoreTarget.Postgres pg -> {
                err().println("Benchmarking the PostgreSQL store in fresh bench_* schemas ("
                        + (quick ? "quick" : "full") + " run; this takes a while)...");
                err().flush();
                yield Benchmarks.postgres(settings, pg.jdbcUrl(), sections);
            }
        };
        String markdown = Benchmarks.toMarkdown(reports);
        out().print(markdown);
        out().flush();
        if (outFile != null) {
            try {
                Files.writeString(outFile, markdown);
            } catch (IOException e) {
                throw new BadInputException("cannot write " + outFile + ": " + e.getMessage());
            }
        }
        return ExitCodes.OK;
    }

    /** Refuses an --out file that could not be written, which would be found out only at the end. */
    private static void checkWritable(Path file) {
        Path parent = file.toAbsolutePath().getParent();
        if (Files.isDirectory(file)) {
            throw new BadInputException("--out " + file + " is a directory");
        }
        if (parent == null || !Files.isDirectory(parent)) {
            throw new BadInputException("--out " + file + ": no directory " + parent + " to write it in");
        }
        if (Files.exists(file) ? !Files.isWritable(file) : !Files.isWritable(parent)) {
            throw new BadInputException("--out " + file + " cannot be written (permissions)");
        }
    }
}
