package io.moestream.text;

import java.util.List;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Writes a {@link TrainedBpe} in the shape of the {@code tokenizer.json} that the Hugging Face
 * {@code tokenizers} library saves for a byte-level BPE tokenizer (GPT-2's layout), so that the
 * library and transformers' {@code PreTrainedTokenizerFast} load it as it is.
 *
 * <p>Merges are written as {@code "left right"} strings, the layout every library version reads;
 * byte-level tokens never contain a space (a space byte is spelled {@code Ġ}), so the split is
 * unambiguous.
 */
final class TokenizerJson {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private TokenizerJson() {
    }

    static String write(TrainedBpe bpe, String bosToken) {
        ObjectNode root = JSON.createObjectNode();
        root.put("version", "1.0");
        root.putNull("truncation");
        root.putNull("padding");
        ArrayNode added = root.putArray("added_tokens");
        List<String> specials = bpe.specialTokens();
        for (int id = 0; id < specials.size(); id++) {
            added.addObject()
                    .put("id", id)
                    .put("content", specials.get(id))
                    .put("single_word", false)
                    .put("lstrip", false)
                    .put("rstrip", false)
                    .put("normalized", false)
                    .put("special", true);
        }
        root.putNull("normalizer");
        byteLevel(root.putObject("pre_tokenizer"));
        if (bosToken == null) {
            root.putNull("post_processor");
        } else {
            bosFirst(root.putObject("post_processor"), bosToken, bpe.tokenId(bosToken));
        }
        byteLevel(root.putObject("decoder"));
        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.putNull("unk_token");
        model.putNull("continuing_subword_prefix");
        model.putNull("end_of_word_suffix");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        List<String> tokens = bpe.tokens();
        for (int id = 0; id < tokens.size(); id++) {
            vocab.put(tokens.get(id), id);
        }
        ArrayNode merges = model.putArray("merges");
        for (TrainedBpe.Merge merge : bpe.merges()) {
            merges.add(tokens.get(merge.left()) + " " + tokens.get(merge.right()));
        }
        return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root) + "\n";
    }

    private static void byteLevel(ObjectNode node) {
        node.put("type", "ByteLevel");
        node.put("add_prefix_space", false);
        node.put("trim_offsets", true);
        node.put("use_regex", true);
    }

    /** TemplateProcessing {@code "<bos>:0 $A:0"} for one sequence and {@code "<bos>:0 $A:0 <bos>:1 $B:1"} for a pair. */
    private static void bosFirst(ObjectNode node, String bosToken, int bosId) {
        node.put("type", "TemplateProcessing");
        ArrayNode single = node.putArray("single");
        special(single, bosToken, 0);
        sequence(single, "A", 0);
        ArrayNode pair = node.putArray("pair");
        special(pair, bosToken, 0);
        sequence(pair, "A", 0);
        special(pair, bosToken, 1);
        sequence(pair, "B", 1);
        ObjectNode entry = node.putObject("special_tokens").putObject(bosToken);
        entry.put("id", bosToken);
        entry.putArray("ids").add(bosId);
        entry.putArray("tokens").add(bosToken);
    }

    private static void special(ArrayNode template, String token, int typeId) {
        template.addObject().putObject("SpecialToken").put("id", token).put("type_id", typeId);
    }

    private static void sequence(ArrayNode template, String id, int typeId) {
        template.addObject().putObject("Sequence").put("id", id).put("type_id", typeId);
    }
}
