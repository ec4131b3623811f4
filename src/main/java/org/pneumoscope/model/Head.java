package org.pneumoscope.model;

import com.fasterxml.jackson.annotation.JsonValue;
import org.pneumoscope.core.Choice;

/** The classifier after the backbone: {@code linear} (GAP → Dense 3) or {@code seed} (the original study's three-block head). */
public enum Head implements Choice {
    LINEAR, SEED;

    /** As written in YAML, JSON and log lines ("linear"). */
    @JsonValue
    @Override
    public String toString() { return id(); }
}
