package io.moestream.kernels;

/**
 * The backend a kernel was asked for, the one it runs on, and why, in words a health endpoint or a log can
 * show as they are (for example "no usable GPU: ..."). A metric can carry {@link #active()} as a label.
 */
public record BackendStatus(KernelBackend requested, KernelBackend active, String reason) {

    /** True when an explicit request could not be met; {@code auto} never falls back, it chooses. */
    public boolean fellBack() {
        return requested != KernelBackend.AUTO && requested != active;
    }
}
