package io.moestream.routing;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/**
 * The spec spells every option value in lower case with dashes ({@code token-drop},
 * {@code ir-capacity}); Java enums spell them {@code TOKEN_DROP}. This is the one place that
 * maps between the two, so that the CLI, the services and error messages all agree.
 */
public final class SpecName {

    private SpecName() {
    }

    public static String of(Enum<?> value) {
        return value.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /**
     * Parses a spec name, failing with a message that names the option and lists what is valid.
     */
    public static <E extends Enum<E>> E parse(Class<E> type, String option, String text) {
        if (text != null) {
            for (E value : type.getEnumConstants()) {
                if (of(value).equals(text.trim().toLowerCase(Locale.ROOT))) {
                    return value;
                }
            }
        }
        throw new IllegalArgumentException("unknown " + option + " '" + text + "'; expected one of "
                + Arrays.stream(type.getEnumConstants()).map(SpecName::of).collect(Collectors.joining(", ")));
    }
}
