package io.moestream.text;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/**
 * An ordered list of prompts with unique ids: the bundled corpus, or a user's file.
 *
 * <p>The bundled corpus ({@code prompts.jsonl} next to this class, 283 prompts) was written for
 * moe-stream and is released with it under the project's licence; it copies no text from
 * elsewhere. It spans code in several languages, SQL, shell, data, maths, sciences, humanities,
 * law, medicine, cooking, travel, finance, sports, creative writing, casual chat, business email
 * and prompts in a dozen languages, from one word to about 220, so that routing statistics
 * measured on it see the spread of tokens that real traffic brings.
 *
 * <p>Two file formats: JSON lines ({@code .jsonl} or {@code .ndjson}), one object per line with a
 * required {@code "prompt"} and optional {@code "id"} and {@code "domain"}; anything else is plain
 * text, one prompt per line. The format follows the file name rather than the content because a
 * plain-text prompt may itself start with a brace. Blank lines are skipped in both.
 */
public final class Corpus {

    private static final String BUNDLED_RESOURCE = "prompts.jsonl";
    private static final String DEFAULT_DOMAIN = "unlabelled";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();

    private final List<Prompt> prompts;

    private Corpus(List<Prompt> prompts) {
        this.prompts = List.copyOf(prompts);
    }

    /** The corpus shipped inside this jar. */
    public static Corpus bundled() {
        try (InputStream in = Corpus.class.getResourceAsStream(BUNDLED_RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("the bundled corpus " + BUNDLED_RESOURCE + " is missing from the classpath");
            }
            return parseJsonLines(new String(in.readAllBytes(), StandardCharsets.UTF_8), BUNDLED_RESOURCE);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read the bundled corpus " + BUNDLED_RESOURCE, e);
        }
    }

    /**
     * Reads a user's corpus, JSON lines or plain text by the file name (see the class comment).
     *
     * @throws IllegalArgumentException naming the file and line of a malformed entry, a duplicate id,
     *         or a file without any prompt
     */
    public static Corpus load(Path file) throws IOException {
        String content = Files.readString(file, StandardCharsets.UTF_8);
        String name = file.getFileName().toString().toLowerCase(Locale.ROOT);
        boolean jsonLines = name.endsWith(".jsonl") || name.endsWith(".ndjson");
        return jsonLines ? parseJsonLines(content, file.toString()) : parsePlainText(content, file.toString());
    }

    /** Parses JSON lines; {@code source} names the text in error messages. */
    public static Corpus parseJsonLines(String content, String source) {
        List<Prompt> prompts = new ArrayList<>();
        List<String> lines = lines(content);
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                prompts.add(parseJsonLine(lines.get(i), source, i + 1));
            }
        }
        return checked(prompts, source);
    }

    /** Parses plain text, one prompt per non-blank line, with ids {@code line-N}. */
    public static Corpus parsePlainText(String content, String source) {
        List<Prompt> prompts = new ArrayList<>();
        List<String> lines = lines(content);
        for (int i = 0; i < lines.size(); i++) {
            if (!lines.get(i).isBlank()) {
                prompts.add(new Prompt(lineId(i + 1), DEFAULT_DOMAIN, lines.get(i).strip()));
            }
        }
        return checked(prompts, source);
    }

    public List<Prompt> prompts() {
        return prompts;
    }

    public int size() {
        return prompts.size();
    }

    /** The prompts' texts, in corpus order. */
    public List<String> texts() {
        return prompts.stream().map(Prompt::text).toList();
    }

    private static Prompt parseJsonLine(String line, String source, int lineNumber) {
        String where = source + " line " + lineNumber;
        JsonNode node;
        try {
            node = JSON.readTree(line);
        } catch (JacksonException e) {
            throw new IllegalArgumentException(where + ": not valid JSON (" + e.getOriginalMessage() + ")", e);
        }
        if (!node.isObject()) {
            throw new IllegalArgumentException(where + ": expected a JSON object, got " + node.getNodeType());
        }
        String text = stringField(node, "prompt", null, where);
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException(where + ": \"prompt\" is missing or blank");
        }
        String id = stringField(node, "id", lineId(lineNumber), where);
        String domain = stringField(node, "domain", DEFAULT_DOMAIN, where);
        if (id.isBlank() || domain.isBlank()) {
            throw new IllegalArgumentException(where + ": \"id\" and \"domain\" must not be blank when present");
        }
        return new Prompt(id, domain, text);
    }

    private static String stringField(JsonNode node, String field, String absent, String where) {
        JsonNode value = node.get(field);
        if (value == null || value.isNull()) {
            return absent;
        }
        if (!value.isString()) {
            throw new IllegalArgumentException(where + ": \"" + field + "\" must be a string, got " + value.getNodeType());
        }
        return value.stringValue();
    }

    private static Corpus checked(List<Prompt> prompts, String source) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException(source + " holds no prompt");
        }
        Map<String, Integer> seen = new HashMap<>();
        for (int i = 0; i < prompts.size(); i++) {
            Integer earlier = seen.putIfAbsent(prompts.get(i).id(), i);
            if (earlier != null) {
                throw new IllegalArgumentException(source + ": id \"" + prompts.get(i).id() + "\" is used by prompts "
                        + (earlier + 1) + " and " + (i + 1));
            }
        }
        return new Corpus(prompts);
    }

    /** Lines without their terminators; a leading byte-order mark, which editors on Windows add, is dropped. */
    private static List<String> lines(String content) {
        String text = content.startsWith("\uFEFF") ? content.substring(1) : content;
        return text.lines().toList();
    }

    private static String lineId(int lineNumber) {
        return "line-" + lineNumber;
    }
}
