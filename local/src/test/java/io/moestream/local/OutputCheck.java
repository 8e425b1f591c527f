package io.moestream.local;

import static org.assertj.core.api.Assertions.assertThat;

import io.moestream.layer.OutputDistance;
import java.util.Map;

/** Checks a result against the in-process layer on the same inputs, batching and routing. */
final class OutputCheck {

    /** f32 on the wire is exact; what is left is summation order in the expert kernels and the combine. */
    static final double F32_TOLERANCE = 1e-4;

    private final PipelineClient client;
    private final ReferenceLayer reference;
    private final double tolerance;

    /** @param tolerance the relative L2 error allowed against the reference */
    OutputCheck(PipelineClient client, ReferenceLayer reference, double tolerance) {
        this.client = client;
        this.reference = reference;
        this.tolerance = tolerance;
    }

    void assertMatchesReference(Result result, Map<String, ?> control) {
        assertThat(result.status()).as("status of %s", result).isEqualTo("ok");
        assertThat(result.outputs()).as("outputs of %s", result).isNotNull();
        float[] expected = reference.forRequest(result.id(), client.awaitBatches(result.id()), control);
        assertThat(result.outputs()).as("outputs of %s", result.id()).hasSameSizeAs(expected);
        assertThat(OutputDistance.relativeL2(result.outputs(), expected)).as("relative L2 error of %s", result.id())
                .isLessThan(tolerance);
    }
}
