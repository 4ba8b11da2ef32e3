package io.jxdp.cli;

/** A minimal JSON writer for the CLI's one-object-per-line output (no dependency needed for this). */
final class Json {
    private final StringBuilder sb = new StringBuilder();
    private boolean first = true;

    Json() {
        sb.append('{');
    }

    private Json key(String k) {
        if (!first) {
            sb.append(',');
        }
        first = false;
        str(sb, k);
        sb.append(':');
        return this;
    }

    Json put(String k, String v) {
        key(k);
        if (v == null) {
            sb.append("null");
        } else {
            str(sb, v);
        }
        return this;
    }

    Json put(String k, long v) {
        key(k);
        sb.append(v);
        return this;
    }

    Json put(String k, boolean v) {
        key(k);
        sb.append(v);
        return this;
    }

    /** A value that is already JSON (an array or object). */
    Json raw(String k, String json) {
        key(k);
        sb.append(json);
        return this;
    }

    @Override
    public String toString() {
        return sb + "}";
    }

    static String array(Iterable<String> jsonValues) {
        StringBuilder b = new StringBuilder("[");
        for (String v : jsonValues) {
            if (b.length() > 1) {
                b.append(',');
            }
            b.append(v);
        }
        return b.append(']').toString();
    }

    static String string(String s) {
        StringBuilder b = new StringBuilder();
        str(b, s);
        return b.toString();
    }

    private static void str(StringBuilder b, String s) {
        b.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> b.append("\\\"");
                case '\\' -> b.append("\\\\");
                case '\n' -> b.append("\\n");
                case '\r' -> b.append("\\r");
                case '\t' -> b.append("\\t");
                default -> {
                    if (c < 0x20) {
                        b.append(String.format("\\u%04x", (int) c));
                    } else {
                        b.append(c);
                    }
                }
            }
        }
        b.append('"');
    }
}
