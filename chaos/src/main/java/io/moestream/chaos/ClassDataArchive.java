package io.moestream.chaos;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A service's exec jar laid out for class data sharing (CDS), as Spring Boot documents it for faster
 * starts: extracted with the jar's own {@code -Djarmode=tools extract} (CDS maps classes from plain jars on
 * the class path, not from jars nested in a jar), then one training run writes the archive of every class
 * the service loaded when it exits cleanly, and every later start maps it.
 *
 * <p>On this two-core machine a service's restart is mostly class loading and Spring's start, with seven
 * other JVMs busy; the archive takes about 40% off it. A start that cannot map the archive (missing, or
 * written by another JDK) runs without it, as {@code -Xshare:auto} does by default.
 */
final class ClassDataArchive {

    private static final long EXTRACT_TIMEOUT_S = 120;

    private final Path jar;
    private final Path archive;

    private ClassDataArchive(Path jar, Path archive) {
        this.jar = jar;
        this.archive = archive;
    }

    /** Extracts {@code execJar} into {@code dir}: the application jar, with its libraries in {@code dir/lib}. */
    static ClassDataArchive extract(Path execJar, Path dir) {
        Path log = dir.resolveSibling(dir.getFileName() + "-extract.log");
        try {
            Files.createDirectories(dir);
            Process extract = new ProcessBuilder(JvmCommand.java().toString(), "-Djarmode=tools", "-jar",
                    execJar.toString(), "extract", "--force", "--destination", dir.toString())
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!extract.waitFor(EXTRACT_TIMEOUT_S, TimeUnit.SECONDS) || extract.exitValue() != 0) {
                extract.destroyForcibly();
                throw new IllegalStateException("cannot extract " + execJar + " into " + dir + "; see " + log);
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot extract " + execJar + " into " + dir + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while extracting " + execJar, e);
        }
        return new ClassDataArchive(dir.resolve(execJar.getFileName()), dir.resolve("application.jsa"));
    }

    /** The extracted application jar, to run with {@code -jar}. */
    Path jar() {
        return jar;
    }

    Path archive() {
        return archive;
    }

    /** The flags of the training run: write the archive at exit. */
    List<String> trainingFlags() {
        return List.of("-XX:ArchiveClassesAtExit=" + archive);
    }

    /** The flags of every other run: map the archive. */
    List<String> flags() {
        return List.of("-XX:SharedArchiveFile=" + archive);
    }
}
