package io.moestream.cli;

import io.moestream.text.Corpus;
import java.util.List;
import picocli.CommandLine.Option;

/** The prompts the demo and the bench send: the bundled corpus, or its first {@code --prompts N}. */
final class BundledPrompts {

    @Option(names = "--prompts", paramLabel = "N",
            description = "Send the first N prompts of the bundled corpus. Default: all of them.")
    Integer count;

    List<String> texts() {
        List<String> all = Corpus.bundled().texts();
        if (count == null) {
            return all;
        }
        if (count < 1 || count > all.size()) {
            throw new UserError("--prompts must be between 1 and " + all.size() + " (the bundled corpus), not "
                    + count);
        }
        return all.subList(0, count);
    }
}
