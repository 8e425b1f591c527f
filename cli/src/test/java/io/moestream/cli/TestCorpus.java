package io.moestream.cli;

import io.moestream.text.Corpus;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** A two-domain corpus for the commands that read one: 40 of the bundled prompts per domain, one a paragraph. */
final class TestCorpus {

    static final List<String> DOMAINS = List.of("domain0", "domain1");
    /** Half of each file is held out, so that a few windows of some tens of tokens fit. */
    static final String HELD_OUT = "0.5";

    private TestCorpus() {
    }

    static Path write(Path dir) throws IOException {
        List<String> prompts = Corpus.bundled().texts();
        for (int d = 0; d < DOMAINS.size(); d++) {
            Path domain = Files.createDirectories(dir.resolve(DOMAINS.get(d)));
            Files.writeString(domain.resolve("text.txt"), String.join("\n\n", prompts.subList(40 * d, 40 * d + 40)));
        }
        return dir;
    }
}
