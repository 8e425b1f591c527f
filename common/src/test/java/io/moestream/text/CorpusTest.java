package io.moestream.text;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CorpusTest {

    @TempDir
    Path dir;

    @Test
    void bundledCorpusIsLargeVariedAndMultilingual() {
        Corpus corpus = Corpus.bundled();

        assertThat(corpus.size()).isGreaterThanOrEqualTo(220);
        assertThat(corpus.prompts()).extracting(Prompt::id).doesNotHaveDuplicates();
        Set<String> domains = corpus.prompts().stream().map(Prompt::domain).collect(Collectors.toSet());
        assertThat(domains).hasSizeGreaterThanOrEqualTo(30)
                .contains("sql", "shell", "maths", "law", "medicine", "cooking", "poetry", "business-email",
                        "lang-fr", "lang-de", "lang-es", "lang-zh", "lang-ja");
        assertThat(domains.stream().filter(d -> d.startsWith("code-"))).hasSizeGreaterThanOrEqualTo(5);
        List<Integer> words = corpus.texts().stream().map(t -> t.split("\\s+").length).toList();
        assertThat(words).anyMatch(w -> w <= 3);
        assertThat(words.stream().filter(w -> w >= 150 && w <= 300)).hasSizeGreaterThanOrEqualTo(3);
    }

    @Test
    void everyBundledPromptFitsTheDefaultTokenLimit() {
        for (String text : Corpus.bundled().texts()) {
            assertThat(Cl100k.tokenize(text).length).isBetween(1, PromptEncoder.DEFAULT_MAX_TOKENS);
        }
    }

    @Test
    void readsJsonLinesWithOptionalIdAndDomain() throws IOException {
        Path file = Files.writeString(dir.resolve("mine.jsonl"), """
                {"id": "a", "domain": "chat", "prompt": "hello there"}

                {"prompt": "no id or domain"}
                """);

        Corpus corpus = Corpus.load(file);

        assertThat(corpus.prompts()).containsExactly(
                new Prompt("a", "chat", "hello there"),
                new Prompt("line-3", "unlabelled", "no id or domain"));
    }

    @Test
    void readsPlainTextOnePromptPerLineEvenWhenALineLooksLikeJson() throws IOException {
        Path file = Files.writeString(dir.resolve("mine.txt"), "\uFEFFfirst prompt\n\n  {\"a\": 1} explain this  \r\n");

        assertThat(Corpus.load(file).prompts()).containsExactly(
                new Prompt("line-1", "unlabelled", "first prompt"),
                new Prompt("line-3", "unlabelled", "{\"a\": 1} explain this"));
    }

    @Test
    void namesTheLineOfMalformedJson() {
        assertThatThrownBy(() -> Corpus.parseJsonLines("{\"prompt\": \"ok\"}\n{\"prompt\": \"cut", "x.jsonl"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("x.jsonl line 2: not valid JSON");
        assertThatThrownBy(() -> Corpus.parseJsonLines("{\"prompt\": \"a\"} {\"prompt\": \"b\"}", "x.jsonl"))
                .hasMessageStartingWith("x.jsonl line 1: not valid JSON");
        assertThatThrownBy(() -> Corpus.parseJsonLines("[\"prompt\"]", "x.jsonl"))
                .hasMessage("x.jsonl line 1: expected a JSON object, got ARRAY");
    }

    @Test
    void rejectsMissingOrMistypedFields() {
        assertThatThrownBy(() -> Corpus.parseJsonLines("{\"id\": \"a\"}", "x.jsonl"))
                .hasMessage("x.jsonl line 1: \"prompt\" is missing or blank");
        assertThatThrownBy(() -> Corpus.parseJsonLines("{\"prompt\": \"  \"}", "x.jsonl"))
                .hasMessage("x.jsonl line 1: \"prompt\" is missing or blank");
        assertThatThrownBy(() -> Corpus.parseJsonLines("{\"prompt\": 3}", "x.jsonl"))
                .hasMessage("x.jsonl line 1: \"prompt\" must be a string, got NUMBER");
        assertThatThrownBy(() -> Corpus.parseJsonLines("{\"prompt\": \"p\", \"id\": \"\"}", "x.jsonl"))
                .hasMessage("x.jsonl line 1: \"id\" and \"domain\" must not be blank when present");
    }

    @Test
    void rejectsDuplicateIdsAndEmptyFiles() {
        assertThatThrownBy(() -> Corpus.parseJsonLines("""
                {"id": "a", "prompt": "one"}
                {"id": "b", "prompt": "two"}
                {"id": "a", "prompt": "three"}
                """, "x.jsonl"))
                .hasMessage("x.jsonl: id \"a\" is used by prompts 1 and 3");
        assertThatThrownBy(() -> Corpus.parsePlainText(" \n\n", "empty.txt"))
                .hasMessage("empty.txt holds no prompt");
    }
}
