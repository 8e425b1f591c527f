package io.moestream.chaos;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Collectors;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * The whole models' streams against their results: what a dense worker's takeover must keep (docs/PIPELINE.md,
 * "Faults"). Each request streams each index once, and a request answered ok streamed exactly its result's
 * tokens, indexes 0 to n-1.
 */
final class StreamCheck {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    /**
     * @param checked ok results whose streams were compared
     * @param repeated requests that streamed an index more than once
     * @param differing ok requests whose stream is not their result's tokens, index for index
     */
    record Figures(int checked, List<String> repeated, List<String> differing) {
    }

    private StreamCheck() {
    }

    /** @param sent the requests the load had acknowledged: the others (warm-up) are not checked */
    static Figures check(List<ResultLog.Arrival> results, List<ResultLog.Streamed> streamed, Set<String> sent) {
        Map<String, List<ResultLog.Streamed>> byId = streamed.stream().filter(s -> sent.contains(s.id()))
                .collect(Collectors.groupingBy(ResultLog.Streamed::id, TreeMap::new, Collectors.toList()));
        List<String> repeated = new ArrayList<>();
        Map<String, Map<Integer, Integer>> tokens = new TreeMap<>();
        byId.forEach((id, records) -> {
            Map<Integer, Integer> byIndex = new TreeMap<>();
            boolean twice = false;
            for (ResultLog.Streamed record : records) {
                twice |= byIndex.put(record.index(), record.token()) != null;
            }
            if (twice) {
                repeated.add(id);
            }
            tokens.put(id, byIndex);
        });
        int checked = 0;
        List<String> differing = new ArrayList<>();
        for (ResultLog.Arrival result : firstOk(results, sent)) {
            checked++;
            JsonNode answer = JSON.readTree(result.value()).path("tokens");
            Map<Integer, Integer> stream = tokens.getOrDefault(result.id(), Map.of());
            boolean same = stream.size() == answer.size();
            for (int i = 0; same && i < answer.size(); i++) {
                same = Integer.valueOf(answer.get(i).asInt()).equals(stream.get(i));
            }
            if (!same) {
                differing.add(result.id());
            }
        }
        return new Figures(checked, repeated, differing);
    }

    private static List<ResultLog.Arrival> firstOk(List<ResultLog.Arrival> results, Set<String> sent) {
        Map<String, ResultLog.Arrival> first = new TreeMap<>();
        results.stream().filter(r -> sent.contains(r.id())).forEach(r -> first.putIfAbsent(r.id(), r));
        return first.values().stream().filter(ResultLog.Arrival::ok).toList();
    }
}
