package org.pneumoscope.core;

import java.util.List;

/**
 * An enum that stands for a choice people write in YAML or on the command line. It is spelled as {@link Choices}
 * spells every choice unless it says otherwise ({@code val_loss} keeps the underscore it has always had on disk), and
 * may still read older or shorter spellings ({@link #aliases}) that are never written back.
 */
public interface Choice {
    /** The one spelling written to YAML and JSON. */
    default String id() {
        return Choices.plainId((Enum<?>) this);
    }

    /** Other spellings read as this choice (any case). */
    default List<String> aliases() {
        return List.of();
    }

    /**
     * False for a value the program records but nobody may choose (a model's TorchScript backbone is recorded as its
     * architecture, yet only a weights file makes one): {@link Choices} neither offers nor accepts it.
     */
    default boolean offered() {
        return true;
    }
}
