package io.moestream.pipeline;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class UnavailableExpertsTest {

    @Test
    void aNoteReadsBackAsWritten() {
        UnavailableExperts note = new UnavailableExperts(new int[] {4, 7}, new int[] {3, 0, 12});

        UnavailableExperts back = UnavailableExperts.fromBytes(note.toBytes());

        assertThat(back.experts()).containsExactly(4, 7);
        assertThat(back.slots()).containsExactly(3, 0, 12);
        assertThat(back.isEmpty()).isFalse();
        assertThat(UnavailableExperts.fromBytes(UnavailableExperts.NONE.toBytes()).isEmpty()).isTrue();
    }

    @Test
    void aTruncatedOrOverlongNoteIsRefusedNamingTheHeader() {
        byte[] bytes = new UnavailableExperts(new int[] {4}, new int[] {1}).toBytes();

        assertThatIllegalArgumentException().isThrownBy(() -> UnavailableExperts.fromBytes(
                Arrays.copyOf(bytes, bytes.length - 1))).withMessage("truncated moe.unavailable-experts header");
        assertThatIllegalArgumentException().isThrownBy(() -> UnavailableExperts.fromBytes(
                Arrays.copyOf(bytes, bytes.length + 2))).withMessageContaining("2 unexpected trailing bytes");
        assertThatIllegalArgumentException().isThrownBy(() -> UnavailableExperts.fromBytes(new byte[] {-1, -1, -1, -1}))
                .withMessage("truncated moe.unavailable-experts header");
    }
}
