package io.moestream.kernels;

import io.moestream.expert.ExpertKernel;

/** A kernel from {@link ExpertKernels#create} and the status of the choice that produced it. */
public record SelectedKernel(ExpertKernel kernel, BackendStatus status) {
}
