package io.moestream.cli;

import io.moestream.text.ModelTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The sequences a model is scored on: its corpus's held-out split ({@link HeldOutText}), each
 * domain's files encoded by the model's tokenizer and joined with EOS after each, as the training
 * data is, then cut into windows of a fixed length, a given number per domain spread evenly over
 * the domain's held-out tokens.
 *
 * @param domains in the corpus's order
 */
record HeldOutSequences(List<Domain> domains) {

    /**
     * @param heldOut the domain's held-out tokens, all of them, not only those in {@code sequences}
     */
    record Domain(String name, int[] heldOut, List<int[]> sequences) {

        long heldOutTokens() {
            return heldOut.length;
        }
    }

    /**
     * @param eos the token that ends each file's text, or -1 for none
     * @throws UserError when a length or count is not positive (the corpus's own problems are {@link CorpusSplit}'s)
     */
    static HeldOutSequences of(CorpusSplit split, ModelTokenizer tokenizer, int eos, int length, int perDomain) {
        if (length < 2) {
            throw new UserError("--sequence-length must be >= 2 (a sequence predicts all but its first token), got "
                    + length);
        }
        if (perDomain < 1) {
            throw new UserError("--sequences-per-domain must be >= 1, got " + perDomain);
        }
        List<Domain> domains = new ArrayList<>();
        for (String domain : split.domains()) {
            List<int[]> files = new ArrayList<>();
            for (CorpusSplit.Part part : split.parts()) {
                if (part.domain().equals(domain)) {
                    files.add(tokenizer.encode(part.heldOut()));
                    if (eos >= 0) {
                        files.add(new int[] {eos});
                    }
                }
            }
            int[] stream = files.stream().flatMapToInt(Arrays::stream).toArray();
            domains.add(new Domain(domain, stream, windows(stream, length, perDomain)));
        }
        return new HeldOutSequences(domains);
    }

    /**
     * {@code count} windows of {@code length} tokens at evenly spaced window positions; all the
     * windows there are when fewer, and the whole stream when it is shorter than one window.
     */
    static List<int[]> windows(int[] stream, int length, int count) {
        int available = stream.length / length;
        if (available == 0) {
            return List.of(stream);
        }
        int taken = Math.min(count, available);
        List<int[]> windows = new ArrayList<>();
        for (int i = 0; i < taken; i++) {
            int start = (int) ((long) i * available / taken) * length;
            windows.add(Arrays.copyOfRange(stream, start, start + length));
        }
        return windows;
    }

    /**
     * Every domain's sequences dealt round-robin (the first of each domain, then the second, ...),
     * so that a step packing several holds several domains, as a served batch would.
     */
    List<Scored> interleaved() {
        List<Scored> all = new ArrayList<>();
        int most = domains.stream().mapToInt(d -> d.sequences().size()).max().orElse(0);
        for (int i = 0; i < most; i++) {
            for (Domain domain : domains) {
                if (i < domain.sequences().size()) {
                    all.add(new Scored(domain.name(), domain.sequences().get(i)));
                }
            }
        }
        return all;
    }

    /** The sequences of one domain alone, as a burst of that domain's traffic would come. */
    List<Scored> only(String domain) {
        return domains.stream().filter(d -> d.name().equals(domain)).findFirst()
                .map(d -> d.sequences().stream().map(tokens -> new Scored(domain, tokens)).toList())
                .orElseThrow(() -> new UserError("no domain '" + domain + "' in the corpus; it has "
                        + String.join(", ", domains.stream().map(Domain::name).toList())));
    }

    /** One sequence and the domain it comes from. */
    record Scored(String domain, int[] tokens) {
    }
}
