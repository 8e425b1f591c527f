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
        return new CorpusSplit(files(corpus).stream()
                .map(file -> split(file.getParent().getFileName().toString(), file, heldOutShare)).toList());
    }

    /**
     * A held-out split written out on its own ({@link #writeHeldOut}): the same layout as a corpus,
     * each file holding one file's held-out text whole.
     *
     * @throws UserError as {@link #of} does for a missing domain or file
     */
    static CorpusSplit heldOutOnly(Path heldOut) {
        return new CorpusSplit(files(heldOut).stream()
                .map(file -> new Part(file.getParent().getFileName().toString(), file, "", read(file))).toList());
    }

    /** Writes each file's held-out text to {@code dir/DOMAIN/FILE}, as {@link #heldOutOnly} reads it. */
    void writeHeldOut(Path dir) {
        for (Part part : parts) {
            Path file = dir.resolve(part.domain()).resolve(part.file().getFileName().toString());
            try {
                Files.createDirectories(file.getParent());
                Files.writeString(file, part.heldOut(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw UserError.io(file.toString(), e);
            }
        }
    }

    /** Every domain directory's .txt files, domains and files in name order. */
    private static List<Path> files(Path corpus) {
        List<Path> domains = sorted(corpus, Files::isDirectory);
        if (domains.isEmpty()) {
            throw new UserError(corpus + ": no domain directory in the corpus");
        }
        List<Path> files = new ArrayList<>();
        for (Path domain : domains) {
            List<Path> texts = sorted(domain, path -> Files.isRegularFile(path) && path.toString().endsWith(".txt"));
            if (texts.isEmpty()) {
                throw new UserError(domain + ": no .txt file in this domain");
            }
            files.addAll(texts);
        }
        return files;
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
