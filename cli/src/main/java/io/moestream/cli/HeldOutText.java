package io.moestream.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * Where {@code moe quality} and {@code moe demo} take held-out text from: the corpus given, split at
 * the share given; without one, the trained model's corpus where the checkout has it beside it, and
 * otherwise the held-out split bundled with the trained model ({@code models/olmoe-corpus/held-out},
 * written by {@code moe corpus-tokens}), which is that corpus's split at the default share, so a
 * fresh clone measures on the same text.
 *
 * @param source what the text is, for reports
 */
record HeldOutText(CorpusSplit split, String source) {

    /**
     * @param corpus the corpus given, or {@code null}
     * @throws UserError when nothing is where it should be, or the bundled split cannot serve the share asked for
     */
    static HeldOutText of(Path corpus, double heldOutShare) {
        return of(corpus, heldOutShare, TrainedModelPaths.corpus(), TrainedModelPaths.heldOut(),
                TrainedModelPaths.HELD_OUT_SHARE);
    }

    /** @param bundledShare the share the bundled split was held out at */
    static HeldOutText of(Path corpus, double heldOutShare, Path defaultCorpus, Path bundled, double bundledShare) {
        if (corpus != null || Files.isDirectory(defaultCorpus)) {
            Path dir = corpus == null ? defaultCorpus : corpus;
            return new HeldOutText(CorpusSplit.of(dir, heldOutShare), String.format(Locale.ROOT,
                    "held-out split of %s (the last %.0f%% of each file)", dir, 100 * heldOutShare));
        }
        if (!Files.isDirectory(bundled)) {
            throw new UserError("no held-out text: no corpus at " + defaultCorpus + " and no bundled held-out split at "
                    + bundled + "; give one with --corpus DIR");
        }
        if (heldOutShare != bundledShare) {
            throw new UserError("the bundled held-out split at " + bundled + " is the last "
                    + 100 * bundledShare + "% of each file; --held-out " + heldOutShare
                    + " needs the corpus itself (--corpus DIR)");
        }
        return new HeldOutText(CorpusSplit.heldOutOnly(bundled), String.format(Locale.ROOT,
                "bundled held-out split %s (the last %.0f%% of each file of the trained model's corpus)", bundled,
                100 * heldOutShare));
    }
}
