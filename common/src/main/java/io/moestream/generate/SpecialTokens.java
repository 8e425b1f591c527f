package io.moestream.generate;

import java.util.List;

/**
 * The special tokens of a family's tokenizer, spelled as its released tokenizer spells them, and
 * which of them config.json names. A generated tokenizer gives them the first ids, in this order.
 *
 * @param all every special token, in id order
 * @param bos config.json's {@code bos_token_id}; {@code null} where the family's config has none
 * @param eos config.json's {@code eos_token_id}: generation stops there
 * @param pad config.json's {@code pad_token_id}; {@code null} where the family's config has none
 * @param addsBos whether the tokenizer puts {@code bos} in front of every sequence
 */
record SpecialTokens(List<String> all, String bos, String eos, String pad, boolean addsBos) {

    /** Mixtral (Llama's SentencePiece vocabulary): {@code <unk>=0, <s>=1, </s>=2}, BOS added. */
    static final SpecialTokens MIXTRAL = new SpecialTokens(List.of("<unk>", "<s>", "</s>"), "<s>", "</s>", null, true);
    /** OLMoE (GPT-NeoX's vocabulary): no BOS, {@code <|endoftext|>} ends, {@code <|padding|>} pads. */
    static final SpecialTokens OLMOE = new SpecialTokens(List.of("<|endoftext|>", "<|padding|>"), null,
            "<|endoftext|>", "<|padding|>", false);
    /** Qwen1.5 base models: {@code <|endoftext|>} is both BOS and EOS in config.json, and never added. */
    static final SpecialTokens QWEN2 = new SpecialTokens(List.of("<|endoftext|>", "<|im_start|>", "<|im_end|>"),
            "<|endoftext|>", "<|endoftext|>", null, false);
    /** Qwen3-30B-A3B: as Qwen1.5, but generation ends at {@code <|im_end|>}. */
    static final SpecialTokens QWEN3 = new SpecialTokens(QWEN2.all(), "<|endoftext|>", "<|im_end|>", null, false);
    /** DeepSeek-V2 (a LlamaTokenizerFast with add_bos_token true): BOS added. */
    static final SpecialTokens DEEPSEEK_V2 = new SpecialTokens(
            List.of("<｜begin▁of▁sentence｜>", "<｜end▁of▁sentence｜>"), "<｜begin▁of▁sentence｜>",
            "<｜end▁of▁sentence｜>", null, true);

    SpecialTokens {
        all = List.copyOf(all);
        for (String token : new String[] {bos, eos, pad}) {
            if (token != null && !all.contains(token)) {
                throw new IllegalArgumentException(token + " is not among the special tokens " + all);
            }
        }
        if (addsBos && bos == null) {
            throw new IllegalArgumentException("a tokenizer that adds BOS needs a BOS token");
        }
    }
}
