package io.moestream.cli;

import io.moestream.routing.RoutingConfig;
import io.moestream.routing.SpecName;
import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * A {@link RoutingConfig} as the spec writes it: each field under its option name
 * ({@code irExcludeDroppingExpert} is {@code ir-exclude-dropping-expert}) with its value's spec
 * name. Read from the record itself so that a field added to the config shows up here unasked.
 */
final class ConfigFields {

    private ConfigFields() {
    }

    /** Option name to value text, in the record's order; {@code null} for an unset value. */
    static Map<String, String> asOptions(RoutingConfig config) {
        Map<String, String> options = new LinkedHashMap<>();
        for (RecordComponent field : RoutingConfig.class.getRecordComponents()) {
            options.put(optionName(field.getName()), text(read(field, config)));
        }
        return options;
    }

    static String optionName(String fieldName) {
        return fieldName.replaceAll("([A-Z])", "-$1").toLowerCase(Locale.ROOT);
    }

    private static Object read(RecordComponent field, RoutingConfig config) {
        try {
            return field.getAccessor().invoke(config);
        } catch (IllegalAccessException | InvocationTargetException e) {
            throw new IllegalStateException("cannot read RoutingConfig." + field.getName(), e);
        }
    }

    private static String text(Object value) {
        if (value == null) {
            return null;
        }
        return value instanceof Enum<?> constant ? SpecName.of(constant) : String.valueOf(value);
    }
}
