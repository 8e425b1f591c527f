package io.moestream.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Where the report of {@code demo} and {@code bench} goes: standard output, and {@code report.txt}
 * and {@code report.json} (the same figures) in the {@code --out} directory, plus any file a command
 * adds there, all named on the last line of standard output.
 */
final class ReportFiles {

    /** A further file of the report, written into the output directory. */
    interface Part {
        void write(Path file) throws IOException;
    }

    private ReportFiles() {
    }

    /** @param extras further files in {@code out} by name, each with what writes it */
    static void write(PrintWriter stdout, Path out, String text, Object json, Map<String, Part> extras) {
        stdout.print(text);
        List<Path> written = new ArrayList<>(List.of(out.resolve("report.txt"), out.resolve("report.json")));
        try {
            Files.createDirectories(out);
            Files.writeString(written.get(0), text);
            Json.MAPPER.writerWithDefaultPrettyPrinter().writeValue(written.get(1).toFile(), json);
            for (Map.Entry<String, Part> extra : extras.entrySet()) {
                Path file = out.resolve(extra.getKey());
                extra.getValue().write(file);
                written.add(file);
            }
        } catch (IOException e) {
            throw UserError.io(out.toString(), e);
        }
        stdout.printf("%nwrote %s%n", String.join(", ", written.stream().map(Path::toString).toList()));
        stdout.flush();
    }
}
