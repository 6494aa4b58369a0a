package dev.counterservice.loadtest;

import java.util.Locale;

/** A self-contained HTML page: the summary, and inline SVG plots of throughput and latency per second. */
final class HtmlReport {

    private HtmlReport() {
    }

    static String render(Options options, Summary s, Series series) {
        StringBuilder html = new StringBuilder();
        html.append("<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
                .append("<title>counter-service load test</title><style>")
                .append("body{font-family:system-ui,sans-serif;margin:2em;max-width:60em;color:#222}")
                .append("table{border-collapse:collapse}")
                .append("td,th{padding:.2em .8em;text-align:left;border-bottom:1px solid #ddd}")
                .append(".pass{color:#080}.fail{color:#c00}code{font-size:.9em}svg{display:block;margin:1em 0}")
                .append("</style></head><body>\n<h1>counter-service load test</h1>\n");
        String verdictClass = s.exitCode() == LoadTester.EXIT_PASS ? "pass" : "fail";
        html.append("<p class=\"").append(verdictClass).append("\"><strong>")
                .append(escape(s.verdictText())).append("</strong></p>\n<table>\n");
        row(html, "Targets", LoadTester.targets(options));
        row(html, "Clients", options.clients() + " for " + options.durationSeconds() + " s, count="
                + options.count() + (options.counters() == 0 ? ", counter " + options.counter()
                        : ", " + options.counters() + " counters " + options.counter() + "-*") + " (" + s.stopReason()
                        + ")");
        row(html, "Requests", String.format(Locale.ROOT, "%d in %.2f s: %.0f req/s (%d ok, %d errors)",
                s.requests(), s.seconds(), s.throughput(), s.ok(), s.errors()));
        row(html, "Latency", "p50 " + Summary.ms(s.p50()) + ", p90 " + Summary.ms(s.p90()) + ", p99 "
                + Summary.ms(s.p99()) + ", max " + Summary.ms(s.max()));
        row(html, "Errors", s.errorsText());
        row(html, "Numbers", s.numbersText());
        row(html, "Violations", "duplicates " + s.verdict().duplicates() + ", per-client order "
                + s.verdict().clientOrder() + ", real-time order " + s.verdict().realTime() + ", malformed "
                + s.malformed());
        html.append("</table>\n");
        if (!s.examples().isEmpty()) {
            html.append("<h2>First violations</h2>\n<ul>\n");
            s.examples().forEach(e -> html.append("<li><code>").append(escape(e)).append("</code></li>\n"));
            html.append("</ul>\n");
        }
        html.append("<h2>Throughput per second</h2>\n");
        chart(html, "req/s", 1, new long[][] {series.ok(), series.errors()}, new String[] {"ok", "errors"},
                new String[] {"#1f77b4", "#d62728"});
        html.append("<h2>Latency per second (ms)</h2>\n");
        chart(html, "ms", 1e6, new long[][] {series.p50(), series.p99()}, new String[] {"p50", "p99"},
                new String[] {"#2ca02c", "#ff7f0e"});
        html.append("</body></html>\n");
        return html.toString();
    }

    private static void row(StringBuilder html, String name, String value) {
        html.append("<tr><th>").append(escape(name)).append("</th><td>").append(escape(value)).append("</td></tr>\n");
    }

    /** One line per series over the seconds of the run, y from 0 to a round maximum. */
    private static void chart(StringBuilder html, String unit, double scale, long[][] lines, String[] names,
            String[] colours) {
        int width = 800;
        int height = 240;
        int left = 70;
        int right = 20;
        int top = 20;
        int bottom = 40;
        double max = 0;
        int points = 0;
        for (long[] line : lines) {
            points = Math.max(points, line.length);
            for (long v : line) {
                max = Math.max(max, v / scale);
            }
        }
        double yMax = niceCeiling(max);
        double plotW = width - left - right;
        double plotH = height - top - bottom;
        html.append(String.format(Locale.ROOT,
                "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" "
                        + "font-size=\"12\">\n", width, height, width, height));
        for (int t = 0; t <= 4; t++) {
            double y = top + plotH - plotH * t / 4;
            html.append(String.format(Locale.ROOT,
                    "<line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#ddd\"/>"
                            + "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n",
                    left, y, width - right, y, left - 6, y + 4, label(yMax * t / 4)));
        }
        int step = Math.max(1, (int) niceCeiling(points / 10.0));
        for (int s = 0; s < points; s += step) {
            double x = left + (points <= 1 ? 0 : plotW * s / (points - 1));
            html.append(String.format(Locale.ROOT, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%ds</text>\n",
                    x, height - bottom + 16, s + 1));
        }
        html.append(String.format(Locale.ROOT, "<text x=\"%d\" y=\"%d\">%s</text>\n", left - 60, top - 6, unit));
        for (int l = 0; l < lines.length; l++) {
            StringBuilder path = new StringBuilder();
            for (int s = 0; s < lines[l].length; s++) {
                double x = left + (points <= 1 ? 0 : plotW * s / (points - 1));
                double y = top + plotH - (yMax == 0 ? 0 : plotH * (lines[l][s] / scale) / yMax);
                path.append(String.format(Locale.ROOT, "%.1f,%.1f ", x, y));
            }
            html.append(String.format(Locale.ROOT,
                    "<polyline fill=\"none\" stroke=\"%s\" stroke-width=\"2\" points=\"%s\"/>\n"
                            + "<text x=\"%d\" y=\"%d\" fill=\"%s\">%s</text>\n",
                    colours[l], path.toString().trim(), left + 10 + 80 * l, height - 6, colours[l], names[l]));
        }
        html.append("</svg>\n");
    }

    private static double niceCeiling(double value) {
        if (value <= 0) {
            return 1;
        }
        double magnitude = Math.pow(10, Math.floor(Math.log10(value)));
        for (double m : new double[] {1, 2, 2.5, 5, 10}) {
            if (value <= m * magnitude) {
                return m * magnitude;
            }
        }
        return 10 * magnitude;
    }

    private static String label(double value) {
        return value == Math.rint(value) ? String.format(Locale.ROOT, "%.0f", value)
                : String.format(Locale.ROOT, "%.2f", value);
    }

    private static String escape(String text) {
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("\"", "&quot;");
    }
}
