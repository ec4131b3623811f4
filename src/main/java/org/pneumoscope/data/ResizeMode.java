package org.pneumoscope.data;

import com.fasterxml.jackson.annotation.JsonValue;

import java.util.Locale;

/** How a non-square image becomes the model's square input. */
public enum ResizeMode {
    /** Stretch each axis independently to the target size (what the seed study did). */
    SQUASH,
    /** Keep the aspect ratio, centre the image and pad the rest with black. */
    LETTERBOX;

    /** The YAML / JSON spelling ("squash"). */
    @JsonValue
    public String id() { return name().toLowerCase(Locale.ROOT); }

    /** Accepts squash/letterbox in any case; null when unknown. */
    public static ResizeMode parse(String s) {
        if (s == null) return null;
        for (ResizeMode m : values()) if (m.name().equalsIgnoreCase(s.trim())) return m;
        return null;
    }
}
