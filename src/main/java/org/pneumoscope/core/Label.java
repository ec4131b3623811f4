package org.pneumoscope.core;

import java.util.Locale;

/** The three classes, in the label order the seed study used (one-hot index). */
public enum Label {
    BACTERIA("bacteria"), VIRUS("virus"), NORMAL("normal");

    public static final int COUNT = 3;
    private final String id;

    Label(String id) { this.id = id; }

    /** Lower-case name used in manifests, JSON and reports. */
    public String id() { return id; }

    public int index() { return ordinal(); }

    public static Label of(int index) { return values()[index]; }

    /** Accepts bacteria/bacterial, virus/viral, normal, or 0/1/2 (case-insensitive). Null when unknown. */
    public static Label parse(String s) {
        if (s == null) return null;
        String t = s.trim().toLowerCase(Locale.ROOT);
        switch (t) {
            case "0": case "bacteria": case "bacterial": return BACTERIA;
            case "1": case "virus": case "viral": return VIRUS;
            case "2": case "normal": return NORMAL;
            default: return null;
        }
    }

    public static String[] ids() {
        String[] r = new String[COUNT];
        for (Label l : values()) r[l.index()] = l.id;
        return r;
    }
}
