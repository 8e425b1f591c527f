package io.moestream.kernels;

import org.bytedeco.javacpp.FloatPointer;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NativeFloatsTest {

    @Test
    void growsOnlyWhenABatchNeedsMore() {
        try (NativeFloats floats = new NativeFloats()) {
            FloatPointer first = floats.ensure(100);
            assertThat(floats.ensure(60)).isSameAs(first);
            assertThat(floats.buffer().capacity()).isEqualTo(100);
            FloatPointer grown = floats.ensure(101);
            assertThat(grown).isNotSameAs(first);
            assertThat(floats.buffer().capacity()).isEqualTo(101);
        }
    }

    @Test
    void refusesWhatAJavaViewCannotIndex() {
        try (NativeFloats floats = new NativeFloats()) {
            assertThatThrownBy(() -> floats.ensure(1L << 31)).isInstanceOf(IllegalArgumentException.class);
        }
    }
}
