package org.pneumoscope.model;

import com.fasterxml.jackson.annotation.JsonValue;
import org.pneumoscope.core.Choice;

import java.util.Locale;

/**
 * The backbone: the ResNet a config's {@code model} names, or {@link #TORCHSCRIPT}, which a model records when its
 * backbone came from a TorchScript weights file (no config names it; see {@link XrayNet#fromTorchScript}).
 */
public enum Arch implements Choice {
    RESNET18, RESNET34, RESNET50, TORCHSCRIPT;

    /** As written in YAML, JSON, checkpoints and log lines ("resnet18"), so a model's name reads the same everywhere. */
    @JsonValue
    @Override
    public String toString() { return id(); }

    @Override
    public boolean offered() { return resnet(); }

    /** A ResNet built by {@link XrayNet#build}, as opposed to a TorchScript backbone. */
    public boolean resnet() { return this != TORCHSCRIPT; }

    /** Any backbone a model file may record, {@link #TORCHSCRIPT} included (any case); null for another word. */
    static Arch ofRecorded(String text) {
        if (text == null) return null;
        String t = text.trim().toLowerCase(Locale.ROOT);
        for (Arch a : values()) if (a.id().equals(t)) return a;
        return null;
    }
}
