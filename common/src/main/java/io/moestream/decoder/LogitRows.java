package io.moestream.decoder;

/** Which positions of a step get logits: the output head over the whole vocabulary is the costliest projection. */
public enum LogitRows {
    /** Every position: scoring. */
    ALL,
    /** The last position of each chunk: generation. */
    LAST
}
