package io.moestream.chaos;

import java.time.Duration;

/** {@link Thread#sleep} for the harness's waits, where an interrupt means the run is being torn down. */
final class Sleep {

    private Sleep() {
    }

    static void of(Duration duration) {
        try {
            Thread.sleep(Math.max(0, duration.toMillis()));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }
}
