package io.moestream.text;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.PriorityQueue;
import java.util.Set;

/**
 * Learns a byte-level BPE vocabulary (GPT-2's kind) from texts, deterministically, in Java.
 *
 * <p>The texts are cut like the encoder cuts them: special-token markup out first, then GPT-2's
 * pre-tokenization into byte-level pieces, counted as words. Each step merges the adjacent pair
 * that occurs most often over all words (overlapping occurrences, such as the two in {@code aaa},
 * both count); a tie goes to the pair whose left token id is lowest, then whose right token id is
 * lowest, so the same texts always give the same merges. Within a word a merge replaces the pair's
 * occurrences left to right. A pair whose merged spelling is a special token is never merged.
 *
 * <p>Pair counts are kept up to date incrementally: a merge only recounts the words that hold its
 * pair, so 4,096 merges over the bundled corpus take a fraction of a second.
 */
public final class BpeTrainer {

    private static final Comparator<Candidate> MOST_FREQUENT_FIRST = Comparator
            .comparingLong(Candidate::count).reversed()
            .thenComparingInt(Candidate::left)
            .thenComparingInt(Candidate::right);

    private record Candidate(long count, int left, int right) {
    }

    /** How often a pair occurs, and which words may hold it (possibly listed twice, or stale). */
    private static final class PairStats {
        long count;
        int[] words = new int[4];
        int wordCount;

        void addWord(int word) {
            if (wordCount == words.length) {
                words = Arrays.copyOf(words, wordCount * 2);
            }
            words[wordCount++] = word;
        }
    }

    private final List<String> tokens;
    private final Map<String, Integer> ids = new HashMap<>();
    private final int specialCount;
    private final int[][] words;
    private final int[] lengths;
    private final long[] frequencies;
    private final Map<Long, PairStats> pairs = new HashMap<>();
    private final PriorityQueue<Candidate> queue = new PriorityQueue<>(MOST_FREQUENT_FIRST);
    private final int[] visited;
    private int visit;

    private BpeTrainer(List<String> specialTokens, Map<String, Long> wordCounts) {
        tokens = new ArrayList<>(specialTokens);
        specialCount = specialTokens.size();
        for (int id = 0; id < specialCount; id++) {
            ids.put(specialTokens.get(id), id);
        }
        for (int b = 0; b < 256; b++) {
            ids.putIfAbsent(String.valueOf(ByteLevel.charOf(b)), tokens.size());
            tokens.add(String.valueOf(ByteLevel.charOf(b)));
        }
        words = new int[wordCounts.size()][];
        lengths = new int[wordCounts.size()];
        frequencies = new long[wordCounts.size()];
        visited = new int[wordCounts.size()];
        int w = 0;
        for (Map.Entry<String, Long> entry : wordCounts.entrySet()) {
            String word = entry.getKey();
            words[w] = new int[word.length()];
            for (int i = 0; i < word.length(); i++) {
                words[w][i] = specialCount + ByteLevel.byteOf(word.charAt(i));
            }
            lengths[w] = word.length();
            frequencies[w] = entry.getValue();
            w++;
        }
    }

    /**
     * Trains byte-level BPE merges until the vocabulary (specials + 256 bytes + merged tokens)
     * reaches {@code vocabularySize}, or until no pair is left to merge: texts too small for the
     * size asked give a smaller vocabulary, so read {@link TrainedBpe#vocabularySize()}.
     *
     * @param specialTokens given ids {@code 0..n-1} in this order; none may be empty or repeated
     * @throws IllegalArgumentException for a vocabulary size below specials + 256, or bad special tokens
     */
    public static TrainedBpe train(List<String> texts, int vocabularySize, List<String> specialTokens) {
        for (String special : specialTokens) {
            if (special == null || special.isEmpty()) {
                throw new IllegalArgumentException("a special token must not be empty, got " + specialTokens);
            }
        }
        if (new HashSet<>(specialTokens).size() != specialTokens.size()) {
            throw new IllegalArgumentException("the special tokens must be distinct, got " + specialTokens);
        }
        int smallest = specialTokens.size() + 256;
        if (vocabularySize < smallest) {
            throw new IllegalArgumentException("the vocabulary size must be at least " + smallest + " ("
                    + specialTokens.size() + " special tokens + 256 bytes), got " + vocabularySize);
        }
        BpeTrainer trainer = new BpeTrainer(specialTokens, countWords(texts, specialTokens));
        return new TrainedBpe(specialTokens, trainer.learn(vocabularySize));
    }

    /** Byte-level pieces and how often each occurs, in order of first appearance. */
    private static Map<String, Long> countWords(List<String> texts, List<String> specialTokens) {
        Map<String, Long> counts = new LinkedHashMap<>();
        for (String text : texts) {
            for (SpecialTokenSplit.Part part : SpecialTokenSplit.split(text, specialTokens)) {
                if (!part.special()) {
                    for (String piece : ByteLevel.pieces(part.text())) {
                        counts.merge(piece, 1L, Long::sum);
                    }
                }
            }
        }
        return counts;
    }

    private List<int[]> learn(int vocabularySize) {
        for (int w = 0; w < words.length; w++) {
            countPairs(w, +1, null);
        }
        pairs.forEach((key, stats) -> offer(key, stats));
        Set<Long> forbidden = new HashSet<>();
        List<int[]> merges = new ArrayList<>();
        while (tokens.size() < vocabularySize) {
            Candidate best = queue.poll();
            if (best == null) {
                break;
            }
            long key = TrainedBpe.pair(best.left(), best.right());
            PairStats stats = pairs.get(key);
            if (stats.count != best.count() || forbidden.contains(key)) {
                continue;
            }
            String spelled = tokens.get(best.left()) + tokens.get(best.right());
            Integer result = ids.get(spelled);
            if (result != null && result < specialCount) {
                forbidden.add(key);
                continue;
            }
            if (result == null) {
                result = tokens.size();
                ids.put(spelled, result);
                tokens.add(spelled);
            }
            merges.add(new int[] {best.left(), best.right()});
            Set<Long> changed = new HashSet<>();
            mergeEverywhere(stats, best.left(), best.right(), result, changed);
            for (long changedKey : changed) {
                if (!forbidden.contains(changedKey)) {
                    offer(changedKey, pairs.get(changedKey));
                }
            }
        }
        return merges;
    }

    private void mergeEverywhere(PairStats stats, int left, int right, int result, Set<Long> changed) {
        visit++;
        int[] holders = Arrays.copyOf(stats.words, stats.wordCount);
        for (int w : holders) {
            if (visited[w] == visit) {
                continue;
            }
            visited[w] = visit;
            countPairs(w, -1, changed);
            int[] symbols = words[w];
            int write = 0;
            int read = 0;
            while (read < lengths[w]) {
                if (read + 1 < lengths[w] && symbols[read] == left && symbols[read + 1] == right) {
                    symbols[write++] = result;
                    read += 2;
                } else {
                    symbols[write++] = symbols[read++];
                }
            }
            lengths[w] = write;
            countPairs(w, +1, changed);
        }
    }

    /** Adds ({@code sign} +1) or removes (-1) word {@code w}'s adjacent pairs, times its frequency. */
    private void countPairs(int w, int sign, Set<Long> changed) {
        int[] symbols = words[w];
        for (int i = 0; i + 1 < lengths[w]; i++) {
            long key = TrainedBpe.pair(symbols[i], symbols[i + 1]);
            PairStats stats = pairs.computeIfAbsent(key, k -> new PairStats());
            stats.count += sign * frequencies[w];
            if (sign > 0) {
                stats.addWord(w);
            }
            if (changed != null) {
                changed.add(key);
            }
        }
    }

    private void offer(long key, PairStats stats) {
        if (stats.count > 0) {
            queue.add(new Candidate(stats.count, (int) (key >>> 32), (int) key));
        }
    }
}
