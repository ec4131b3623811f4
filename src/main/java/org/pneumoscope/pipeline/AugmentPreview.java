package org.pneumoscope.pipeline;

import org.pneumoscope.augment.Augmentations;
import org.pneumoscope.augment.ContactSheet;
import org.pneumoscope.augment.FloatImage;
import org.pneumoscope.augment.Transform;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.DatasetReader;
import org.pneumoscope.data.Sample;
import org.pneumoscope.synth.ImageFiles;
import org.pneumoscope.synth.PhantomGenerator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** What an augmentation recipe does to films (a contact sheet), and how fast it runs. */
public final class AugmentPreview {
    private static final Logger LOG = LoggerFactory.getLogger(AugmentPreview.class);

    private AugmentPreview() {}

    /** A named recipe or a YAML file of steps. */
    public static Transform pipeline(String recipe) {
        String r = recipe.toLowerCase(Locale.ROOT);
        try {
            if (r.endsWith(".yaml") || r.endsWith(".yml")) {
                Path p = Path.of(recipe);
                if (!Files.isRegularFile(p)) throw new UserException(p + ": recipe file not found");
                return Augmentations.fromYaml(Files.readString(p));
            }
            return Augmentations.named(recipe);
        } catch (IllegalArgumentException | IOException e) {
            throw new UserException("recipe " + recipe + ": " + e.getMessage(), 2);
        }
    }

    /** What to preview: files, or rows picked from a dataset folder, or (neither given) phantoms. */
    public record Source(List<Path> images, Path data, int rows, long seed) {}

    /** Writes the contact sheet of {@code recipe} to {@code out}: each row the original and {@code n} augmented copies. */
    public static void preview(String recipe, Source src, int n, int px, Path out, PrintStream log) throws IOException {
        Transform pipeline = pipeline(recipe);
        List<Path> images = src.images();
        Path data = src.data();
        int rows = src.rows();
        long seed = src.seed();
        if (data != null && images != null) throw new UserException("give --data or --image, not both", 2);
        List<ContactSheet.Row> rowList = new ArrayList<>();
        if (images != null) {
            for (Path p : images) addRow(rowList, p, p.getFileName().toString(), px);
        } else if (data != null) {
            if (!Files.isDirectory(data)) throw new UserException(data + ": not a folder");
            for (String[] pick : pickFromFolder(data, rows, seed)) {
                addRow(rowList, data.resolve(pick[0]), Path.of(pick[0]).getFileName() + (pick[1].isEmpty() ? "" : " (" + pick[1] + ")"), px);
                if (rowList.size() >= rows) break;
            }
        } else {
            PhantomGenerator gen = new PhantomGenerator();
            for (int i = 0; i < rows; i++) {
                Label l = Label.of(i % Label.COUNT);
                rowList.add(new ContactSheet.Row("phantom " + l.id(), FloatImage.of(gen.render(l, px, new Random(seed + i)).image())));
            }
        }
        if (rowList.isEmpty()) throw new UserException("no readable images to preview");
        // Tiles of 160..224 px: big enough to see the change and to caption it, small enough to fit a screen.
        int tile = Math.max(160, Math.min(px, 224));
        ImageFiles.writePng(ContactSheet.render(rowList, pipeline, n, seed, tile), out);
        log.printf("wrote %s: %d row(s) x (original + %d augmented), recipe %s, %d px%n",
                out.toAbsolutePath(), rowList.size(), n, recipe, px);
    }

    private static void addRow(List<ContactSheet.Row> rows, Path file, String caption, int px) {
        try {
            GreyImage g = ImageFiles.readGrey(file);
            rows.add(new ContactSheet.Row(caption, FloatImage.of(ImageFiles.resize(g, px, px))));
        } catch (IOException e) {
            // One unreadable file should not sink the preview: say which and go on.
            LOG.warn("skipping {}", e.getMessage());
        }
    }

    /**
     * Candidate rows {file relative to dir, label}: from manifest.csv when there is one (one per class in turn),
     * else image files found under the folder. Seeded shuffle so reruns pick the same images.
     */
    private static List<String[]> pickFromFolder(Path dir, int rows, long seed) throws IOException {
        Random r = new Random(seed);
        Path manifest = dir.resolve("manifest.csv");
        List<String[]> out = new ArrayList<>();
        if (Files.isRegularFile(manifest)) {
            List<String[]> all = new ArrayList<>();
            for (Sample x : DatasetReader.read(dir).samples())
                all.add(new String[]{dir.toAbsolutePath().normalize().relativize(x.file().toAbsolutePath().normalize()).toString(), x.label() == null ? "" : x.label().id()});
            Collections.shuffle(all, r);
            // Round-robin over labels so a few rows show every class.
            List<String> labels = all.stream().map(a -> a[1]).distinct().sorted().collect(Collectors.toList());
            for (int k = 0; out.size() < Math.min(all.size(), rows * 3); k++) {
                String want = labels.get(k % labels.size());
                all.stream().filter(a -> a[1].equals(want) && !out.contains(a)).findFirst().ifPresent(out::add);
                if (k > rows * 3 * labels.size()) break;
            }
            return out;
        }
        try (Stream<Path> s = Files.walk(dir, 3)) {
            List<Path> files = s.filter(Files::isRegularFile)
                    .filter(p -> p.getFileName().toString().toLowerCase(Locale.ROOT).matches(".*\\.(png|jpe?g|bmp|gif|tiff?)$"))
                    .filter(p -> !dir.relativize(p).startsWith("masks"))
                    .sorted().collect(Collectors.toList());
            Collections.shuffle(files, r);
            for (Path p : files.subList(0, Math.min(files.size(), rows * 3))) {
                String parent = p.getParent() == null || p.getParent().equals(dir) ? "" : p.getParent().getFileName().toString();
                out.add(new String[]{dir.relativize(p).toString(), parent});
            }
        }
        if (out.isEmpty()) throw new UserException(dir + ": no images found (looked for manifest.csv and PNG/JPEG files)");
        return out;
    }
}
