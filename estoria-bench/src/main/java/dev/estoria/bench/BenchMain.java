package dev.estoria.bench;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Runs the benchmarks from the command line and prints Markdown tables.
 *
 * <pre>
 * BenchMain sqlite [--quick] [--dir DIR] [--only SECTION,...] [--repetitions N] [--out FILE]
 * BenchMain postgres JDBC_URL [--quick] [--only SECTION,...] [--repetitions N] [--out FILE]
 * </pre>
 *
 * Sections: {@code appends}, {@code reads}, {@code aggregate}, {@code projection} (all by default).
 * Exit status: 0 when the run completed (whether or not goals were met), 2 for bad arguments, 1 if a
 * benchmark failed.
 */
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) {
        int status;
        try {
            status = run(args);
        } catch (IllegalArgumentException e) {
            System.err.println("error: " + e.getMessage());
            System.err.println(usage());
            status = 2;
        } catch (Exception e) {
            e.printStackTrace();
            status = 1;
        }
        System.exit(status);
    }

    static String usage() {
        return """
                usage: BenchMain sqlite [--quick] [--dir DIR] [--only SECTIONS] [--repetitions N] [--out FILE]
                       BenchMain postgres JDBC_URL [--quick] [--only SECTIONS] [--repetitions N] [--out FILE]
                SECTIONS: comma-separated from appends, reads, aggregate, projection (default: all)""";
    }

    /** Parses the arguments, runs, prints; returns the exit status. */
    static int run(String[] args) throws Exception {
        if (args.length == 0) {
            throw new IllegalArgumentException("no backend given");
        }
        String backend = args[0];
        String url = null;
        int i = 1;
        if (backend.equals("postgres")) {
            if (args.length < 2 || args[1].startsWith("--")) {
                throw new IllegalArgumentException("postgres needs a JDBC URL");
            }
            url = args[1];
            i = 2;
        } else if (!backend.equals("sqlite")) {
            throw new IllegalArgumentException("unknown backend " + backend);
        }
        boolean quick = false;
        Path dir = null;
        Path out = null;
        Integer repetitions = null;
        Set<Benchmarks.Section> sections = EnumSet.noneOf(Benchmarks.Section.class);
        for (; i < args.length; i++) {
            switch (args[i]) {
                case "--quick" -> quick = true;
                case "--dir" -> dir = Path.of(value(args, ++i, "--dir"));
                case "--out" -> out = Path.of(value(args, ++i, "--out"));
                case "--repetitions" -> {
                    try {
                        repetitions = Integer.parseInt(value(args, ++i, "--repetitions"));
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--repetitions needs a number");
                    }
                }
                case "--only" -> {
                    for (String name : value(args, ++i, "--only").split(",")) {
                        try {
                            sections.add(Benchmarks.Section.valueOf(name.trim().toUpperCase(Locale.ROOT)));
                        } catch (IllegalArgumentException e) {
                            throw new IllegalArgumentException("unknown section " + name);
                        }
                    }
                }
                default -> throw new IllegalArgumentException("unknown option " + args[i]);
            }
        }
        BenchSettings settings = (quick ? BenchSettings.quick() : BenchSettings.full())
                .withProgress(Progress.toStandardError());
        if (dir != null) {
            settings = settings.withWorkDirectory(dir);
        }
        if (repetitions != null) {
            settings = settings.withRepetitions(repetitions);
        }
        List<BenchReport> reports = url == null ? Benchmarks.sqlite(settings, sections)
                : Benchmarks.postgres(settings, url, sections);
        String markdown = Benchmarks.toMarkdown(reports);
        System.out.print(markdown);
        System.out.flush();
        if (out != null) {
            Files.writeString(out, markdown);
        }
        return 0;
    }

    private static String value(String[] args, int index, String option) {
        if (index >= args.length) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return args[index];
    }
}
