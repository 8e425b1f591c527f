package io.moestream.cli;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * One scrape of one or more services' {@code /actuator/prometheus}: their counters are running sums,
 * so what one pass did is the difference of the scrapes taken before and after it. Several services
 * scrape into one set of samples; their meters are told apart by name or tags (the expert services
 * tag every meter with their rank).
 */
final class PrometheusScrape {

    private static final Pattern SAMPLE = Pattern.compile("^([a-zA-Z_:][a-zA-Z0-9_:]*)(\\{[^}]*})?\\s+(\\S+)");
    private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();

    private record Sample(String name, String labels, double value) {
    }

    private final List<Sample> samples;

    private PrometheusScrape(List<Sample> samples) {
        this.samples = samples;
    }

    static PrometheusScrape of(List<String> serviceUrls) {
        List<Sample> samples = new ArrayList<>();
        serviceUrls.forEach(url -> samples.addAll(of(url).samples));
        return new PrometheusScrape(samples);
    }

    static PrometheusScrape of(String serviceUrl) {
        HttpRequest request = HttpRequest.newBuilder(URI.create(serviceUrl + "/actuator/prometheus"))
                .timeout(Duration.ofSeconds(30)).GET().build();
        try {
            HttpResponse<String> response = HTTP.send(request, HttpResponse.BodyHandlers.ofString());
            if (response.statusCode() != 200) {
                throw new IllegalStateException("GET " + request.uri() + " answered " + response.statusCode());
            }
            return parse(response.body());
        } catch (IOException e) {
            throw new IllegalStateException("GET " + request.uri() + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    static PrometheusScrape parse(String text) {
        List<Sample> samples = new ArrayList<>();
        for (String line : text.split("\n")) {
            Matcher m = SAMPLE.matcher(line);
            if (!line.startsWith("#") && m.find()) {
                samples.add(new Sample(m.group(1), m.group(2) == null ? "" : m.group(2), Double.parseDouble(m.group(3))));
            }
        }
        return new PrometheusScrape(samples);
    }

    /** The sum of the samples of {@code name} that carry every one of {@code labels} ({@code key=value}). */
    double sum(String name, String... labels) {
        double sum = 0;
        for (Sample sample : samples) {
            if (sample.name.equals(name) && hasAll(sample.labels, labels)) {
                sum += sample.value;
            }
        }
        return sum;
    }

    /** {@code sum} here minus the same in {@code before}. */
    double since(PrometheusScrape before, String name, String... labels) {
        return sum(name, labels) - before.sum(name, labels);
    }

    private static boolean hasAll(String sampleLabels, String[] labels) {
        for (String label : labels) {
            int eq = label.indexOf('=');
            if (!sampleLabels.contains(label.substring(0, eq) + "=\"" + label.substring(eq + 1) + "\"")) {
                return false;
            }
        }
        return true;
    }
}
