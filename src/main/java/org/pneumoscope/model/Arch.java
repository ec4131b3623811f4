package org.pneumoscope.model;

import com.fasterxml.jackson.annotation.JsonValue;
import org.pneumoscope.core.Choice;

/** The ResNet a config's {@code model} names (ModelSpec's arch, which may also be a TorchScript backbone). */
public enum Arch implements Choice {
    RESNET18, RESNET34, RESNET50;

    /** As written in YAML, JSON and log lines ("resnet18"), so a model's name reads the same everywhere. */
    @JsonValue
    @Override
    public String toString() { return id(); }
}
