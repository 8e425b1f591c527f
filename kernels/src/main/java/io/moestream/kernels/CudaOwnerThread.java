package io.moestream.kernels;

import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.RejectedExecutionException;

/**
 * The one thread that makes every CUDA call of a {@link CudaExpertKernel}. A CUDA context is current per
 * thread, so calls from whichever thread happens to call the kernel would each need the context made
 * current first, and would race on its buffers; one owner thread makes both problems impossible.
 */
final class CudaOwnerThread {

    private final ExecutorService executor = Executors.newSingleThreadExecutor(task -> {
        Thread thread = new Thread(task, "moe-cuda");
        // An unclosed kernel must not keep the JVM alive.
        thread.setDaemon(true);
        return thread;
    });

    /**
     * Runs {@code task} on the owner thread and waits for it, rethrowing what it threw. An interrupt does
     * not cut the wait short (the task would still write into the caller's arrays later); it is kept for
     * the caller to see afterwards.
     *
     * @throws IllegalStateException after {@link #shutdown()}
     */
    <T> T call(Callable<T> task) {
        Future<T> result;
        try {
            result = executor.submit(task);
        } catch (RejectedExecutionException e) {
            throw new IllegalStateException("the GPU kernel is closed", e);
        }
        boolean interrupted = false;
        try {
            while (true) {
                try {
                    return result.get();
                } catch (InterruptedException e) {
                    interrupted = true;
                } catch (ExecutionException e) {
                    throw rethrow(e.getCause());
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    void run(Runnable task) {
        call(() -> {
            task.run();
            return null;
        });
    }

    /** Lets the thread end once queued tasks are done. */
    void shutdown() {
        executor.shutdown();
    }

    private static RuntimeException rethrow(Throwable cause) {
        if (cause instanceof RuntimeException runtime) {
            throw runtime;
        }
        if (cause instanceof Error error) {
            throw error;
        }
        return new IllegalStateException("the CUDA owner thread failed", cause);
    }
}
