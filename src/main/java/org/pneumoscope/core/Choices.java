package org.pneumoscope.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Options that stand for a choice are enums. This is their one spelling, the same in YAML and on the command line
 * (lower case, '-' for '_': {@code BOTH} is "both"), and the one error for a value that is not a choice, which lists
 * the choices so nobody has to look them up.
 */
public final class Choices {
    private Choices() {}

    /** How people write {@code e}. */
    public static String id(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The constant written as {@code text} (any case); IllegalArgumentException naming the choices otherwise. */
    public static <E extends Enum<E>> E parse(Class<E> type, String text) {
        if (text != null)
            for (E e : type.getEnumConstants()) if (id(e).equalsIgnoreCase(text.trim())) return e;
        throw new IllegalArgumentException("'" + text + "' is not one of " + known(type));
    }

    /** "patient, batch". */
    public static String known(Class<? extends Enum<?>> type) {
        List<String> ids = new ArrayList<>();
        for (Enum<?> e : type.getEnumConstants()) ids.add(id(e));
        return String.join(", ", ids);
    }
}
