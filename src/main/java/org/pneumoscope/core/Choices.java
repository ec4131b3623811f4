package org.pneumoscope.core;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * Options that stand for a choice are enums. This is their one spelling, the same in YAML and on the command line
 * (lower case, '-' for '_': {@code BOTH} is "both", unless the enum is a {@link Choice} with its own), and the one
 * error for a value that is not a choice, which lists the choices so nobody has to look them up.
 */
public final class Choices {
    private Choices() {}

    /** How people write {@code e}. */
    public static String id(Enum<?> e) {
        return e instanceof Choice c ? c.id() : plainId(e);
    }

    /** The spelling of a constant that has no other: its name in lower case, '-' for '_'. */
    static String plainId(Enum<?> e) {
        return e.name().toLowerCase(Locale.ROOT).replace('_', '-');
    }

    /** The constant written as {@code text} (any case); IllegalArgumentException naming the choices otherwise. */
    public static <E extends Enum<E>> E parse(Class<E> type, String text) {
        E e = find(type, text);
        if (e == null) throw new IllegalArgumentException("'" + text + "' is not one of " + known(type));
        return e;
    }

    /**
     * The constant written as {@code text} (any case, or one of its {@link Choice#aliases}); null when none is, or
     * when it is not {@link Choice#offered}.
     */
    public static <E extends Enum<E>> E find(Class<E> type, String text) {
        if (text == null) return null;
        String t = text.trim();
        for (E e : type.getEnumConstants()) {
            if (e instanceof Choice c && !c.offered()) continue;
            if (id(e).equalsIgnoreCase(t)) return e;
            if (e instanceof Choice c)
                for (String a : c.aliases()) if (a.equalsIgnoreCase(t)) return e;
        }
        return null;
    }

    /** "patient, batch". */
    public static String known(Class<? extends Enum<?>> type) {
        return String.join(", ", ids(type));
    }

    /** "none, stretch or equalize": the choices in a sentence. */
    public static String either(Class<? extends Enum<?>> type) {
        List<String> ids = ids(type);
        if (ids.size() == 1) return ids.get(0);
        return String.join(", ", ids.subList(0, ids.size() - 1)) + " or " + ids.get(ids.size() - 1);
    }

    private static List<String> ids(Class<? extends Enum<?>> type) {
        List<String> ids = new ArrayList<>();
        for (Enum<?> e : type.getEnumConstants())
            if (!(e instanceof Choice c) || c.offered()) ids.add(id(e));
        return ids;
    }
}
