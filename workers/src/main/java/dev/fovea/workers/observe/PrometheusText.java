package dev.fovea.workers.observe;

import java.util.Locale;
import java.util.Map;

/**
 * Writes metrics in the Prometheus text exposition format, version 0.0.4: {@code # HELP} and {@code
 * # TYPE} once per metric family, then one line per sample. Written by hand because the format is a
 * few lines of code and Micrometer's Prometheus registry is not available to this build; every
 * sample Fovea exposes is a counter, a gauge or a histogram.
 */
public final class PrometheusText {
    /** The value of an HTTP Content-Type header for this format. */
    public static final String CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

    private final StringBuilder out = new StringBuilder();

    /**
     * Starts a family: its help text and type ({@code counter}, {@code gauge}, {@code histogram}).
     */
    public PrometheusText family(String name, String type, String help) {
        out.append("# HELP ")
                .append(name)
                .append(' ')
                .append(help.replace("\\", "\\\\").replace("\n", "\\n"))
                .append('\n');
        out.append("# TYPE ").append(name).append(' ').append(type).append('\n');
        return this;
    }

    /** One sample; labels in the map's iteration order. */
    public PrometheusText sample(String name, Map<String, String> labels, double value) {
        out.append(name);
        if (!labels.isEmpty()) {
            out.append('{');
            boolean first = true;
            for (Map.Entry<String, String> label : labels.entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                out.append(label.getKey())
                        .append("=\"")
                        .append(escape(label.getValue()))
                        .append('"');
            }
            out.append('}');
        }
        out.append(' ').append(number(value)).append('\n');
        return this;
    }

    /**
     * The samples of one histogram: cumulative {@code _bucket}s (the last {@code le="+Inf"}),
     * {@code _sum} and {@code _count}.
     *
     * @param upperBounds ascending, without +Inf
     * @param cumulative {@code cumulative[i]} observations at most {@code upperBounds[i]}
     */
    public PrometheusText histogram(
            String name,
            Map<String, String> labels,
            double[] upperBounds,
            long[] cumulative,
            long count,
            double sum) {
        for (int i = 0; i < upperBounds.length; i++) {
            sample(name + "_bucket", withLe(labels, number(upperBounds[i])), cumulative[i]);
        }
        sample(name + "_bucket", withLe(labels, "+Inf"), count);
        sample(name + "_sum", labels, sum);
        sample(name + "_count", labels, count);
        return this;
    }

    private static Map<String, String> withLe(Map<String, String> labels, String le) {
        Map<String, String> all = new java.util.LinkedHashMap<>(labels);
        all.put("le", le);
        return all;
    }

    /** Backslash, double quote and line feed are the characters a label value must escape. */
    static String escape(String value) {
        return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
    }

    /** Whole numbers without a fraction, so counters read as counts; the special values as Go's. */
    static String number(double value) {
        if (Double.isNaN(value)) {
            return "NaN";
        }
        if (Double.isInfinite(value)) {
            return value > 0 ? "+Inf" : "-Inf";
        }
        if (value == Math.rint(value) && Math.abs(value) < 1e15) {
            return Long.toString((long) value);
        }
        return String.format(Locale.ROOT, "%s", value);
    }

    @Override
    public String toString() {
        return out.toString();
    }
}
