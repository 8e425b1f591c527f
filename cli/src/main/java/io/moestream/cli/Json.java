package io.moestream.cli;

import tools.jackson.core.json.JsonReadFeature;
import tools.jackson.databind.json.JsonMapper;

/** The one JSON mapper of the CLI. */
final class Json {

    /**
     * Accepts {@code NaN} and {@code Infinity} as numbers so that such a logit reaches the router,
     * whose message names the token and expert, instead of failing as a bare syntax error.
     */
    static final JsonMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .build();

    private Json() {
    }
}
