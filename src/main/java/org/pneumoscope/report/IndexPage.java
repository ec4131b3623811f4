package org.pneumoscope.report;

import org.pneumoscope.eval.EvaluationTables;

/**
 * The head of the small index pages that list several evaluations (a robustness sweep's, an experiment's): one style
 * for both, so they look alike and a change of it is made once.
 */
public final class IndexPage {
    private IndexPage() {}

    static final String STYLE = "body{font-family:'DejaVu Sans',Arial,sans-serif;color:#1F2933;max-width:1100px;margin:2em auto;padding:0 1em}"
            + "table{border-collapse:collapse;font-size:14px}th,td{padding:4px 8px;border-bottom:1px solid #E3E8EE;text-align:right}"
            + "th:first-child,td:first-child{text-align:left}img{max-width:100%}.muted{color:#6B7785}"
            + "th.group{text-align:center;border-bottom:2px solid #9AA5B1}";

    /** The document up to and including {@code <body>}, titled {@code title} (escaped here). */
    public static StringBuilder begin(String title) {
        return new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
                .append(EvaluationTables.escape(title)).append("</title>\n<style>").append(STYLE).append("</style></head><body>\n");
    }
}
