package io.moestream.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;

/** {@code --tokens-file}: JSON Lines, one {@code {"tokens": [ids]}} per sequence; blank lines are skipped. */
final class TokensFile {

    private TokensFile() {
    }

    static List<int[]> read(Path file) {
        List<String> lines;
        try {
            lines = Files.readAllLines(file);
        } catch (IOException e) {
            throw UserError.io(file.toString(), e);
        }
        List<int[]> sequences = new ArrayList<>();
        for (int n = 0; n < lines.size(); n++) {
            String line = lines.get(n).strip();
            if (!line.isEmpty()) {
                sequences.add(parse(file, n + 1, line));
            }
        }
        if (sequences.isEmpty()) {
            throw new UserError(file + ": no sequences");
        }
        return sequences;
    }

    private static int[] parse(Path file, int line, String text) {
        JsonNode node;
        try {
            node = Json.MAPPER.readTree(text);
        } catch (JacksonException e) {
            throw new UserError(file + ", line " + line + ": not JSON: " + e.getOriginalMessage());
        }
        JsonNode tokens = node.get("tokens");
        if (tokens == null || !tokens.isArray() || tokens.isEmpty()) {
            throw new UserError(file + ", line " + line + ": expected {\"tokens\": [ids...]} with at least one id");
        }
        int[] ids = new int[tokens.size()];
        for (int i = 0; i < ids.length; i++) {
            JsonNode id = tokens.get(i);
            if (!id.isIntegralNumber() || !id.canConvertToInt() || id.intValue() < 0) {
                throw new UserError(file + ", line " + line + ": token " + i + " is " + id + ", expected an id >= 0");
            }
            ids[i] = id.intValue();
        }
        return ids;
    }
}
