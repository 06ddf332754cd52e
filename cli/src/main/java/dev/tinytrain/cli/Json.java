package dev.tinytrain.cli;

import java.util.List;
import java.util.Map;

/** Minimal JSON writing for {@code --json} output (objects of strings, numbers, booleans, lists). */
final class Json {

    private Json() {
    }

    /** An object from alternating keys and values. */
    static Raw object(Object... keyValues) {
        if (keyValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values must alternate");
        }
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < keyValues.length; i += 2) {
            if (i > 0) {
                sb.append(',');
            }
            sb.append(string(String.valueOf(keyValues[i]))).append(':').append(value(keyValues[i + 1]));
        }
        return new Raw(sb.append('}').toString());
    }

    static String value(Object v) {
        if (v == null) {
            return "null";
        }
        if (v instanceof Json.Raw raw) {
            return raw.json();
        }
        if (v instanceof String s) {
            return string(s);
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        if (v instanceof List<?> list) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < list.size(); i++) {
                sb.append(i > 0 ? "," : "").append(value(list.get(i)));
            }
            return sb.append(']').toString();
        }
        if (v instanceof Map<?, ?> map) {
            Object[] kv = new Object[map.size() * 2];
            int i = 0;
            for (Map.Entry<?, ?> e : map.entrySet()) {
                kv[i++] = e.getKey();
                kv[i++] = e.getValue();
            }
            return object(kv).json();
        }
        return string(v.toString());
    }

    /** Already-serialized JSON. */
    record Raw(String json) {
        @Override
        public String toString() {
            return json;
        }
    }

    static String string(String s) {
        StringBuilder sb = new StringBuilder("\"");
        for (char c : s.toCharArray()) {
            switch (c) {
                case '"' -> sb.append("\\\"");
                case '\\' -> sb.append("\\\\");
                case '\n' -> sb.append("\\n");
                case '\r' -> sb.append("\\r");
                case '\t' -> sb.append("\\t");
                default -> {
                    if (c < 0x20) {
                        sb.append(String.format("\\u%04x", (int) c));
                    } else {
                        sb.append(c);
                    }
                }
            }
        }
        return sb.append('"').toString();
    }
}
