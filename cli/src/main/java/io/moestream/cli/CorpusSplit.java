package io.moestream.cli;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import java.util.stream.Stream;

/**
 * The train / held-out split of a multi-domain corpus: one directory per domain, text files in it.
 * Each file keeps its first part for training and gives its tail to the held-out split, cut on the
 * first paragraph boundary (a blank line) at or after {@code 1 - heldOutShare} of its characters.
 * A contiguous tail, rather than every n-th paragraph, keeps held-out text from sitting between
 * training paragraphs of the same passage. Domains and files are taken in name order, so the split
 * is the same on every machine.
 */
record CorpusSplit(List<Part> parts) {

    private static final String PARAGRAPH_BREAK = "\n\n";

    /** One file's two pieces; {@code train} ends before the blank line, {@code heldOut} starts after it. */
    record Part(String domain, Path file, String train, String heldOut) {
    }

    /**
     * @throws UserError naming the directory or file when the corpus has no domain, a domain has no
     *         file, or a file has no paragraph boundary in its tail
     */
    static CorpusSplit of(Path corpus, double heldOutShare) {
        if (!(heldOutShare > 0 && heldOutShare < 1)) {
            throw new UserError("--held-out must be between 0 and 1 (exclusive), got " + heldOutShare);
        }
        List<Part> parts = new ArrayList<>();
        List<Path> domains = sorted(corpus, Files::isDirectory);
        if (domains.isEmpty()) {
            throw new UserError(corpus + ": no domain directory in the corpus");
        }
        for (Path domain : domains) {
            List<Path> files = sorted(domain, path -> Files.isRegularFile(path) && path.toString().endsWith(".txt"));
            if (files.isEmpty()) {
                throw new UserError(domain + ": no .txt file in this domain");
            }
            for (Path file : files) {
                parts.add(split(domain.getFileName().toString(), file, heldOutShare));
            }
        }
        return new CorpusSplit(parts);
    }

    /** The domains, in order. */
    List<String> domains() {
        return parts.stream().map(Part::domain).distinct().toList();
    }

    /** Every training piece, for learning the tokenizer. */
    List<String> trainTexts() {
        return parts.stream().map(Part::train).toList();
    }

    private static Part split(String domain, Path file, double heldOutShare) {
        String text = read(file);
        int cut = text.indexOf(PARAGRAPH_BREAK, (int) Math.floor(text.length() * (1 - heldOutShare)));
        if (cut < 0) {
            throw new UserError(file + ": no paragraph boundary (blank line) in the last " + heldOutShare
                    + " of the file to cut the held-out split at");
        }
        String heldOut = text.substring(cut + PARAGRAPH_BREAK.length()).stripLeading();
        if (heldOut.isBlank()) {
            throw new UserError(file + ": nothing but blank lines after the last paragraph boundary");
        }
        return new Part(domain, file, text.substring(0, cut), heldOut);
    }

    private static String read(Path file) {
        try {
            return Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw UserError.io(file.toString(), e);
        }
    }

    private static List<Path> sorted(Path directory, Predicate<Path> keep) {
        try (Stream<Path> entries = Files.list(directory)) {
            return entries.filter(keep).sorted().toList();
        } catch (IOException e) {
            throw UserError.io(directory.toString(), e);
        }
    }
}
