package io.moestream.text;

import io.moestream.model.CheckpointException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * What moe-stream reads from a {@code tokenizer.json} itself, because the native library does not
 * expose it: every token and its id (the model's vocabulary and the added tokens), and the kind of
 * post-processor.
 *
 * @param ids each token's id: the model's vocabulary (a map for BPE, WordPiece and WordLevel, a
 *        list of {@code [piece, score]} for Unigram) merged with {@code added_tokens}, as the
 *        library's {@code get_vocab(with_added_tokens=true)} merges them
 * @param tokens each id's token, {@code null} where no token has the id
 * @param postProcessor the post-processor's {@code type}, empty when there is none
 */
record TokenizerFile(Map<String, Integer> ids, String[] tokens, Optional<String> postProcessor) {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    static TokenizerFile parse(Path file, byte[] content) {
        JsonNode root;
        try {
            root = JSON.readTree(content);
        } catch (JacksonException e) {
            throw new CheckpointException(file, null, "not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(file, null, "a tokenizer.json must be a JSON object");
        }
        Map<String, Integer> ids = new HashMap<>();
        JsonNode vocab = root.path("model").get("vocab");
        if (vocab != null && vocab.isObject()) {
            for (Map.Entry<String, JsonNode> entry : vocab.properties()) {
                ids.put(entry.getKey(), id(file, "model.vocab." + entry.getKey(), entry.getValue()));
            }
        } else if (vocab != null && vocab.isArray()) {
            for (int id = 0; id < vocab.size(); id++) {
                JsonNode piece = vocab.get(id).get(0);
                if (piece == null || !piece.isString()) {
                    throw field(file, "model.vocab[" + id + "]", "must be a [piece, score] pair");
                }
                ids.put(piece.stringValue(), id);
            }
        } else {
            throw field(file, "model.vocab", "is missing; expected a map of tokens to ids or a list of [piece, score]");
        }
        JsonNode added = root.path("added_tokens");
        if (!added.isMissingNode() && !added.isNull() && !added.isArray()) {
            throw field(file, "added_tokens", "must be a list");
        }
        for (JsonNode token : added) {
            JsonNode text = token.get("content");
            if (text == null || !text.isString()) {
                throw field(file, "added_tokens", "an entry has no string \"content\"");
            }
            ids.put(text.stringValue(), id(file, "added_tokens." + text.stringValue(), token.get("id")));
        }
        int size = ids.values().stream().mapToInt(Integer::intValue).max().orElse(-1) + 1;
        String[] tokens = new String[size];
        ids.forEach((token, id) -> tokens[id] = token);
        JsonNode processor = root.get("post_processor");
        Optional<String> postProcessor = processor == null || processor.isNull()
                ? Optional.empty()
                : Optional.of(processor.path("type").asString(""));
        return new TokenizerFile(Map.copyOf(ids), tokens, postProcessor);
    }

    private static int id(Path file, String field, JsonNode node) {
        if (node == null || !node.isIntegralNumber() || !node.canConvertToInt() || node.intValue() < 0) {
            throw field(file, field, "must be a non-negative integer id, got " + node);
        }
        return node.intValue();
    }

    private static CheckpointException field(Path file, String field, String problem) {
        return new CheckpointException(file, null, "field '" + field + "' " + problem);
    }
}
