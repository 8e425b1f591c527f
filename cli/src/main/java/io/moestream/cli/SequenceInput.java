package io.moestream.cli;

import io.moestream.text.ModelTokenizer;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Option;

/** Where a command's sequences come from: text through the model's tokenizer, or token ids. An exclusive picocli group. */
final class SequenceInput {

    @Option(names = "--text", paramLabel = "TEXT", description = "One sequence of text.")
    String text;

    @Option(names = "--text-file", paramLabel = "FILE", description = "Plain text, one sequence per non-empty line.")
    Path textFile;

    @Option(names = "--tokens-file", paramLabel = "FILE",
            description = "JSON Lines, one {\"tokens\": [ids]} per sequence; skips the tokenizer.")
    Path tokensFile;

    /** The sequences as token ids, text encoded with the model's special tokens. */
    List<int[]> sequences(ModelOptions model, Optional<ModelTokenizer> tokenizer) {
        if (tokensFile != null) {
            return TokensFile.read(tokensFile);
        }
        String option = text != null ? "--text" : "--text-file";
        ModelTokenizer encoder = tokenizer.orElseThrow(() -> model.noTokenizer(option));
        List<int[]> sequences = new ArrayList<>();
        for (String line : texts()) {
            sequences.add(encoder.encode(line));
        }
        return sequences;
    }

    private List<String> texts() {
        if (text != null) {
            return List.of(text);
        }
        try {
            List<String> lines = Files.readAllLines(textFile).stream().filter(line -> !line.isBlank()).toList();
            if (lines.isEmpty()) {
                throw new UserError(textFile + ": no non-empty line");
            }
            return lines;
        } catch (IOException e) {
            throw UserError.io(textFile.toString(), e);
        }
    }
}
