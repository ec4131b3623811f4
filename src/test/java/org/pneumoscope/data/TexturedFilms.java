package org.pneumoscope.data;

import org.pneumoscope.core.GreyImage;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Films whose sharpness is known exactly, for the texture split: a smooth ramp (16 + x, whose Laplacian is zero)
 * plus a checkerboard of ±amplitude (each interior pixel's Laplacian is ±8·amplitude), 224×224 PNG so nothing is
 * resized or lost. Sharpness = 8·amplitude, amplitude 0..16 (no grey level leaves 0..255).
 */
public final class TexturedFilms {
    private TexturedFilms() {}

    public static GreyImage film(int amplitude) {
        if (amplitude < 0 || amplitude > 16) throw new IllegalArgumentException("amplitude 0..16, not " + amplitude);
        int n = TextureSplit.SIZE;
        byte[] p = new byte[n * n];
        for (int y = 0; y < n; y++)
            for (int x = 0; x < n; x++)
                p[y * n + x] = (byte) (16 + x + ((x + y) % 2 == 0 ? amplitude : -amplitude));
        return new GreyImage(n, n, p);
    }

    /**
     * A dataset written as {@code manifest.csv} with files beside it.
     *
     * @param level    normal-class patient → its rank by sharpness (1 = blurriest); its sharpness is 4·level
     * @param films    every film that decodes → its exact sharpness
     * @param mixed    patients with a normal and a bacterial film, both perfectly smooth (blurrier than any normal)
     * @param unreadable the normal-class patient whose only film does not decode
     * @param broken   the files that do not decode
     */
    public record Dataset(Path manifest, Map<String, Integer> level, Map<Path, Double> films, List<String> mixed,
                          String unreadable, List<Path> broken) {}

    /**
     * 30 normal-class patients with sharpness levels 1..30 in shuffled id order (odd levels two films, even ones one
     * or three), one of them with an extra broken file; a normal-class patient whose only film is broken; 40 bacterial
     * and 30 viral patients with 1-2 films of random sharpness; two mixed patients.
     */
    public static Dataset write(Path dir, long seed) {
        Random r = new Random(seed);
        StringBuilder csv = new StringBuilder("file,label,patient_id\n");
        Map<String, Integer> level = new LinkedHashMap<>();
        Map<Path, Double> films = new LinkedHashMap<>();
        List<Path> broken = new ArrayList<>();
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < 30; i++) ids.add(100 + 3 * i);
        Collections.shuffle(ids, r); // id order is not sharpness order
        for (int k = 1; k <= 30; k++) {
            String id = String.format("IM-%04d", ids.get(k - 1));
            level.put(id, k);
            for (int a : amplitudes(k)) add(dir, csv, films, id, "normal", a, r);
        }
        String withBroken = String.format("IM-%04d", ids.get(19));
        broken.add(addBroken(dir, csv, withBroken));
        broken.add(addBroken(dir, csv, "IM-0999"));
        for (int p = 1; p <= 70; p++) {
            String label = p <= 40 ? "bacteria" : "virus";
            int n = 1 + r.nextInt(2);
            for (int f = 0; f < n; f++) add(dir, csv, films, "person" + p, label, r.nextInt(17), r);
        }
        List<String> mixed = List.of("mixed1", "mixed2");
        for (String id : mixed) {
            add(dir, csv, films, id, "normal", 0, r);
            add(dir, csv, films, id, "bacteria", 0, r);
        }
        Path manifest = TestImages.write(dir.resolve("manifest.csv"), csv.toString().getBytes(StandardCharsets.UTF_8));
        return new Dataset(manifest, level, films, mixed, "IM-0999", broken);
    }

    /** Amplitudes whose median sharpness is 4·level: two films for odd levels, one or three for even ones. */
    private static int[] amplitudes(int level) {
        if (level % 2 == 1) return new int[] {(level - 1) / 2, (level + 1) / 2};
        return level % 4 == 0 ? new int[] {level / 2} : new int[] {0, level / 2, 16};
    }

    private static void add(Path dir, StringBuilder csv, Map<Path, Double> films, String id, String label, int amplitude, Random r) {
        String name = label + "/" + id + "-" + Integer.toHexString(r.nextInt()) + ".png";
        Path f = TestImages.write(dir.resolve(name), TestImages.png(film(amplitude)));
        films.put(f.toAbsolutePath().normalize(), 8.0 * amplitude);
        csv.append(name).append(',').append(label).append(',').append(id).append('\n');
    }

    private static Path addBroken(Path dir, StringBuilder csv, String id) {
        String name = "normal/" + id + "-broken.png";
        Path f = TestImages.write(dir.resolve(name), "<html>not a film</html>".getBytes(StandardCharsets.UTF_8));
        csv.append(name).append(",normal,").append(id).append('\n');
        return f.toAbsolutePath().normalize();
    }
}
