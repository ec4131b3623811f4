package org.pneumoscope.cli;

import org.pneumoscope.augment.Augmentations;
import org.pneumoscope.augment.ContactSheet;
import org.pneumoscope.augment.FloatImage;
import org.pneumoscope.augment.Transform;
import org.pneumoscope.bench.AugmentBenchmark;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.synth.ImageFiles;
import org.pneumoscope.synth.PhantomGenerator;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/** Shows what an augmentation recipe does (a contact sheet) or how fast it runs. */
@Command(name = "augment", mixinStandardHelpOptions = true,
        description = {"Preview an augmentation recipe as a contact sheet, or measure its speed.",
                "Recipes: none, seed (the seed study's albumentations pipeline), light, strong, or a YAML file "
                        + "with a list of {name, p, params} steps."},
        footer = {"", "Examples:",
                "  pneumoscope augment --preview --data ../shared/data/kermany224 --out sheet.png",
                "  pneumoscope augment --preview --image film.jpeg --recipe strong --n 6",
                "  pneumoscope augment --bench --size 224 --threads 2"})
public class AugmentCommand implements Callable<Integer> {
    @ArgGroup(exclusive = true, multiplicity = "1")
    Mode mode;

    static class Mode {
        @Option(names = "--preview", required = true, description = "Write a contact sheet: original + N augmented copies per row.")
        boolean preview;

        @Option(names = "--bench", required = true, description = "Measure images per second of the recipe.")
        boolean bench;
    }

    @Option(names = "--data", description = "Folder of images (with manifest.csv, or class sub-folders) to pick rows from.")
    Path data;

    @Option(names = "--image", description = "One image file to preview (repeatable).")
    List<Path> images;

    @Option(names = "--out", defaultValue = "augment-preview.png", description = "Contact sheet PNG (default ${DEFAULT-VALUE}).")
    Path out;

    @Option(names = "--recipe", defaultValue = "seed", description = "Recipe name or YAML file (default ${DEFAULT-VALUE}).")
    String recipe;

    @Option(names = "--n", defaultValue = "8", description = "Augmented copies per row (default ${DEFAULT-VALUE}).")
    int n;

    @Option(names = "--rows", defaultValue = "3", description = "Images (rows) taken from --data or phantoms (default ${DEFAULT-VALUE}).")
    int rows;

    @Option(names = "--size", description = "Working size in px: images are resized to it before augmenting "
            + "(default 224 for the preview, 128 for --bench).")
    Integer size;

    @Option(names = "--seed", defaultValue = "42", description = "Random seed (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--threads", defaultValue = "1", description = "Threads for --bench (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--seconds", defaultValue = "3", description = "Duration of --bench (default ${DEFAULT-VALUE}).")
    double seconds;

    @Override
    public Integer call() throws Exception {
        Transform pipeline = pipeline(recipe);
        if (n < 1 || n > 32) throw new UserException("--n must be 1..32, got " + n, 2);
        if (rows < 1 || rows > 32) throw new UserException("--rows must be 1..32, got " + rows, 2);
        int px = size != null ? size : (mode.bench ? 128 : 224);
        if (px < 16 || px > 2048) throw new UserException("--size must be 16..2048, got " + px, 2);
        return mode.bench ? bench(pipeline, px) : preview(pipeline, px);
    }

    static Transform pipeline(String recipe) {
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

    private int bench(Transform pipeline, int px) throws InterruptedException {
        if (threads < 1) throw new UserException("--threads must be at least 1", 2);
        if (seconds <= 0 || seconds > 600) throw new UserException("--seconds must be in (0, 600]", 2);
        FloatImage img = FloatImage.of(new PhantomGenerator().render(Label.BACTERIA, px, new Random(seed)).image());
        AugmentBenchmark.Result r = AugmentBenchmark.run(pipeline, img, threads, seconds);
        System.out.printf(Locale.ROOT, "recipe %s at %dx%d px, %d thread(s): %.0f images/s wall-clock (%.0f per thread); "
                        + "%.0f images per CPU-second (%.2f ms of CPU per image)%n",
                recipe, px, px, threads, r.imagesPerSecond(), r.perThread(), r.perCpuSecond(), 1000.0 / r.perCpuSecond());
        return 0;
    }

    private int preview(Transform pipeline, int px) throws IOException {
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
        System.out.printf("wrote %s: %d row(s) x (original + %d augmented), recipe %s, %d px%n",
                out.toAbsolutePath(), rowList.size(), n, recipe, px);
        return 0;
    }

    private static void addRow(List<ContactSheet.Row> rows, Path file, String caption, int px) {
        try {
            GreyImage g = ImageFiles.readGrey(file);
            rows.add(new ContactSheet.Row(caption, FloatImage.of(ImageFiles.resize(g, px, px))));
        } catch (IOException e) {
            // One unreadable file should not sink the preview: say which and go on.
            System.err.println("pneumoscope: skipping " + e.getMessage());
        }
    }

    /**
     * Candidate rows {file relative to dir, label}: from manifest.csv when there is one (one per class in turn),
     * else image files found under the folder. Seeded shuffle so reruns pick the same images.
     */
    static List<String[]> pickFromFolder(Path dir, int rows, long seed) throws IOException {
        Random r = new Random(seed);
        Path manifest = dir.resolve("manifest.csv");
        List<String[]> out = new ArrayList<>();
        if (Files.isRegularFile(manifest)) {
            List<String> lines = Files.readAllLines(manifest);
            if (lines.isEmpty()) throw new UserException(manifest + ": empty manifest");
            List<String> header = List.of(lines.get(0).trim().split(","));
            int fi = header.indexOf("file"), li = header.indexOf("label");
            if (fi < 0) throw new UserException(manifest + ": no 'file' column in header " + lines.get(0));
            List<String[]> all = new ArrayList<>();
            for (String line : lines.subList(1, lines.size())) {
                String[] f = line.split(",", -1);
                if (f.length > fi && !f[fi].isBlank()) all.add(new String[]{f[fi].trim(), li >= 0 && f.length > li ? f[li].trim() : ""});
            }
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
