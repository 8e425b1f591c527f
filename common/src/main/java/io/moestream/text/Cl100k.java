package io.moestream.text;

import com.knuddels.jtokkit.Encodings;
import com.knuddels.jtokkit.api.Encoding;
import com.knuddels.jtokkit.api.EncodingType;

/**
 * The cl100k_base tokenizer that ships inside jtokkit, so no download is ever needed. Loaded once
 * per JVM on first use, because reading its ranks takes most of a second.
 */
public final class Cl100k {

    /**
     * tiktoken's {@code n_vocab} for cl100k_base: 100,256 byte-pair ranks plus the special tokens,
     * the last of which ({@code <|endofprompt|>}) is id 100,276. An embedding table this tall
     * embeds every token the tokenizer can produce.
     */
    public static final int VOCAB_SIZE = 100_277;

    private Cl100k() {
    }

    /**
     * Token ids of {@code text}. Special-token markup such as {@code <|endoftext|>} is encoded as
     * ordinary text: a prompt must not be able to inject control tokens.
     */
    public static int[] tokenize(String text) {
        return Holder.ENCODING.encodeOrdinary(text).toArray();
    }

    private static final class Holder {
        static final Encoding ENCODING = Encodings.newLazyEncodingRegistry().getEncoding(EncodingType.CL100K_BASE);
    }
}
