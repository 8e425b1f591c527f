package io.moestream.bench;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.RecordComponent;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JSON text of {@link GpuCheck}'s report: maps, collections, records, strings, numbers, booleans and null.
 * Not Jackson, which the rest of the project uses: on the GPU machine the check runs on a jlink'd runtime that
 * must travel in 64 MiB, and Jackson needs java.xml, java.sql and java.desktop in it (14 MB more).
 */
final class ReportJson {

    private ReportJson() {
    }

    static String of(Object value) {
        StringBuilder out = new StringBuilder();
        append(value, out, "");
        return out.append('\n').toString();
    }

    private static void append(Object value, StringBuilder out, String indent) {
        if (value == null || value instanceof Double d && !Double.isFinite(d)) {
            // JSON has no NaN or infinity.
            out.append("null");
        } else if (value instanceof Number || value instanceof Boolean) {
            out.append(value);
        } else if (value instanceof String s) {
            quote(s, out);
        } else if (value instanceof Map<?, ?> map) {
            String inner = indent + "  ";
            out.append('{');
            String separator = "\n";
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                out.append(separator).append(inner);
                quote(String.valueOf(entry.getKey()), out);
                out.append(": ");
                append(entry.getValue(), out, inner);
                separator = ",\n";
            }
            out.append(map.isEmpty() ? "" : "\n" + indent).append('}');
        } else if (value instanceof Collection<?> list) {
            String inner = indent + "  ";
            out.append('[');
            String separator = "\n";
            for (Object element : list) {
                out.append(separator).append(inner);
                append(element, out, inner);
                separator = ",\n";
            }
            out.append(list.isEmpty() ? "" : "\n" + indent).append(']');
        } else if (value instanceof Record record) {
            Map<String, Object> fields = new LinkedHashMap<>();
            for (RecordComponent component : record.getClass().getRecordComponents()) {
                try {
                    fields.put(component.getName(), component.getAccessor().invoke(record));
                } catch (IllegalAccessException | InvocationTargetException e) {
                    throw new IllegalStateException("cannot read " + component, e);
                }
            }
            append(fields, out, indent);
        } else {
            throw new IllegalArgumentException("no JSON form for " + value.getClass().getName());
        }
    }

    private static void quote(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\n' -> out.append("\\n");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        out.append(String.format("\\u%04x", (int) c));
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }
}
