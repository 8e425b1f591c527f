package io.moestream.cli;

import io.moestream.decoder.DecoderEngine;
import io.moestream.kernels.DecoderBackends;
import io.moestream.kernels.KernelBackend;
import io.moestream.model.CheckpointException;
import io.moestream.text.ModelTokenizer;
import java.nio.file.Path;
import java.util.Optional;
import picocli.CommandLine.Option;

/** The options of the commands that run a whole model: where it is and what it runs on. A picocli mixin. */
final class ModelOptions {

    @Option(names = "--model", required = true, paramLabel = "DIR",
            description = "Model directory in Hugging Face layout: config.json, safetensors, tokenizer.json if it has one;"
                    + " e.g. from 'moe generate-model'.")
    Path model;

    @Option(names = "--backend", defaultValue = "auto", paramLabel = "B",
            description = "Where experts run: auto (GPU, else OpenBLAS, else Java), cpu, gpu or java.")
    String backend;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "OpenBLAS threads; 0 keeps OPENBLAS_NUM_THREADS.")
    int threads;

    @Option(names = "--source-rank", defaultValue = "0", paramLabel = "R",
            description = "The rank the tokens sit on (for expanded-drop and rectify-ir).")
    int sourceRank;

    KernelBackend kernelBackend() {
        try {
            return KernelBackend.parse(backend);
        } catch (IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** Loads the model onto the requested backend; a checkpoint problem is the user's, named by file and tensor. */
    DecoderEngine load() {
        KernelBackend kernels = kernelBackend();
        try {
            return DecoderEngine.load(model, DecoderBackends.create(kernels, threads).backend());
        } catch (CheckpointException | IllegalArgumentException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** The model's own tokenizer, when it ships a tokenizer.json. */
    Optional<ModelTokenizer> tokenizer() {
        try {
            return ModelTokenizer.load(model);
        } catch (CheckpointException e) {
            throw new UserError(e.getMessage());
        }
    }

    /** The error for text given to a model that can only take token ids. */
    UserError noTokenizer(String option) {
        return new UserError(model + " has no " + ModelTokenizer.FILE + ", so it takes token ids only (--tokens-file);"
                + " " + option + " needs the model's tokenizer");
    }
}
