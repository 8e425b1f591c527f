package io.moestream.model;

/**
 * One tensor as a safetensors header describes it. {@code dtype} is kept as written so that a file
 * holding a type this project does not read (an I64 buffer, say) still opens: only reading that
 * tensor fails. {@code begin} and {@code end} are byte offsets into the data section.
 */
record TensorEntry(String name, String dtype, int[] shape, long begin, long end) {
}
