package io.moestream.decoder;

import java.util.List;

/**
 * What one {@link DecoderModel#step} returns.
 *
 * @param logits {@code [rows][vocab]} row-major: every position of every chunk in chunk order, or
 *        the last position of each chunk, as asked
 * @param routing each MoE layer's routing of the step, in layer order
 */
public record StepOutput(float[] logits, int rows, int vocab, List<LayerRouting> routing) {

    public StepOutput {
        routing = List.copyOf(routing);
    }

    /** Row {@code r} of the logits as a new array. */
    public float[] row(int r) {
        float[] row = new float[vocab];
        System.arraycopy(logits, r * vocab, row, 0, vocab);
        return row;
    }
}
