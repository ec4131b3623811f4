package org.pneumoscope.data;

import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.AccessDeniedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.EnumSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Finds the labelled images of a dataset. Accepted layouts:
 * <ul>
 *   <li><b>kermany</b>: {@code NORMAL/} and {@code PNEUMONIA/} folders, the pneumonia type read from
 *       "bacteria"/"virus" in the file name;</li>
 *   <li><b>class-folders</b>: {@code bacteria|bacterial/}, {@code virus|viral/}, {@code normal/};</li>
 *   <li>either of these under {@code train/ val/ test/} (which then set the split; "+splits" in the layout);</li>
 *   <li><b>manifest</b>: a CSV with at least {@code file,label} (optional {@code patient_id}, {@code split},
 *       {@code fold}; extra columns ignored), paths relative to the CSV's folder or absolute.</li>
 * </ul>
 * A folder holding a {@code manifest.csv} is read through that manifest: it is the dataset author's statement of
 * labels, patients and splits (use {@link #readFolder} to walk the folders instead).
 *
 * <p>Bad inputs never stop the scan: each becomes a {@link Problem} (symlink loops, unreadable files, folders named
 * like images, file names that are not valid text, manifest lines that do not make sense). Folder names match
 * case-insensitively. Samples come back sorted by path, so results do not depend on the file system's order.
 */
public final class DatasetReader {
    private DatasetReader() {}

    public static final String MANIFEST_NAME = "manifest.csv";
    private static final Set<String> IMAGE_EXTENSIONS = Set.of("jpg", "jpeg", "jpe", "jfif", "png", "tif", "tiff",
            "bmp", "gif", "dcm", "dicom", "dic");
    private static final int MAX_WALK_DEPTH = 32;

    /** Reads a folder (any accepted layout) or a CSV manifest. Stops only when the path does not exist. */
    public static DatasetScan read(Path dataFolderOrCsv) {
        return read(dataFolderOrCsv, PatientIds.Rule.NAMING);
    }

    /** As {@link #read(Path)}, reading a manifest's {@code patient_id} by {@code ids}. */
    public static DatasetScan read(Path dataFolderOrCsv, PatientIds.Rule ids) {
        Path p = dataFolderOrCsv;
        if (Files.isDirectory(p)) {
            Path manifest = p.resolve(MANIFEST_NAME);
            if (Files.isRegularFile(manifest)) return readManifest(manifest, ids);
            return readFolder(p);
        }
        if (Files.isRegularFile(p)) {
            if (looksLikeImage(p))
                throw new UserException(p + " is an image, not a dataset: give the folder holding the class folders, "
                        + "or a CSV manifest");
            return readManifest(p, ids);
        }
        throw new UserException("no such file or folder: " + p);
    }

    // ------------------------------------------------------------------ folders

    private enum ClassDir { NORMAL, PNEUMONIA, BACTERIA, VIRUS }

    private static ClassDir classDir(String name) {
        switch (name.toLowerCase(Locale.ROOT)) {
            case "normal": return ClassDir.NORMAL;
            case "pneumonia": return ClassDir.PNEUMONIA;
            case "bacteria": case "bacterial": return ClassDir.BACTERIA;
            case "virus": case "viral": return ClassDir.VIRUS;
            default: return null;
        }
    }

    /** "train", "val" or "test" for a split folder's name, else null. */
    static String splitName(String name) {
        switch (name.toLowerCase(Locale.ROOT).trim()) {
            case "train": case "training": return "train";
            case "val": case "valid": case "validation": return "val";
            case "test": case "testing": return "test";
            default: return null;
        }
    }

    private static boolean ignoredName(String name) {
        return name.startsWith(".") || name.equals("__MACOSX") || name.equalsIgnoreCase("Thumbs.db")
                || name.equalsIgnoreCase("desktop.ini");
    }

    /** Walks class folders (optionally under split folders), ignoring any manifest.csv. */
    public static DatasetScan readFolder(Path folder) {
        if (!Files.isDirectory(folder)) throw new UserException("not a folder: " + folder);
        List<Sample> samples = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        Path root = folder;
        // Archives often unpack to chest_xray/chest_xray/...: descend through lone wrapper folders.
        for (int i = 0; i < 3; i++) {
            List<Path> dirs = subfolders(root, new ArrayList<>()); // problems are reported by the main pass
            boolean recognised = dirs.stream().anyMatch(d -> classDir(name(d)) != null || splitName(name(d)) != null);
            if (recognised || dirs.size() != 1) break;
            root = dirs.get(0);
        }
        boolean kermany = false, classFolders = false, splits = false;
        for (Path d : subfolders(root, problems)) {
            String n = name(d);
            String split = splitName(n);
            ClassDir cd = classDir(n);
            if (split != null) {
                for (Path c : subfolders(d, problems)) {
                    ClassDir inner = classDir(name(c));
                    if (inner == null) {
                        problems.add(new Problem(c, "folder not recognised as a class (expected NORMAL, PNEUMONIA, "
                                + "bacteria, virus or normal); skipped"));
                        continue;
                    }
                    splits = true;
                    kermany |= inner == ClassDir.PNEUMONIA;
                    classFolders |= inner == ClassDir.BACTERIA || inner == ClassDir.VIRUS;
                    walkClass(c, inner, split, samples, problems);
                }
                reportLooseImages(d, problems);
            } else if (cd != null) {
                kermany |= cd == ClassDir.PNEUMONIA;
                classFolders |= cd == ClassDir.BACTERIA || cd == ClassDir.VIRUS;
                walkClass(d, cd, null, samples, problems);
            } else {
                problems.add(new Problem(d, "folder not recognised as a class or split (expected NORMAL, PNEUMONIA, "
                        + "bacteria, virus, normal, train, val or test); skipped"));
            }
        }
        reportLooseImages(root, problems);
        samples.sort(Comparator.comparing(s -> s.file().toString()));
        String layout = samples.isEmpty() && !kermany && !classFolders ? "empty"
                : (kermany ? "kermany" : "class-folders") + (splits ? "+splits" : "");
        return new DatasetScan(samples, problems, layout, Map.of(), folder);
    }

    private static String name(Path p) {
        Path f = p.getFileName();
        return f == null ? p.toString() : f.toString();
    }

    /** Sub-folders (following links), sorted; unreadable folders become problems. */
    private static List<Path> subfolders(Path dir, List<Problem> problems) {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            for (Path p : ds) {
                if (ignoredName(name(p))) continue;
                if (Files.isDirectory(p)) out.add(p);
            }
        } catch (AccessDeniedException e) {
            problems.add(new Problem(dir, "cannot open folder: permission denied"));
        } catch (IOException e) {
            problems.add(new Problem(dir, "cannot open folder: " + e.getMessage()));
        }
        out.sort(Comparator.comparing(Path::toString));
        return out;
    }

    /** Images lying next to class folders belong to no class: say so rather than silently skip them. */
    private static void reportLooseImages(Path dir, List<Problem> problems) {
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
            List<Path> loose = new ArrayList<>();
            for (Path p : ds) {
                if (!ignoredName(name(p)) && Files.isRegularFile(p) && hasImageExtension(name(p))) loose.add(p);
            }
            loose.sort(Comparator.comparing(Path::toString));
            for (Path p : loose) problems.add(new Problem(p, "image outside any class folder; skipped"));
        } catch (IOException e) {
            // already reported by subfolders()
        }
    }

    static boolean hasImageExtension(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 && IMAGE_EXTENSIONS.contains(fileName.substring(dot + 1).toLowerCase(Locale.ROOT));
    }

    private static boolean hasExtension(String fileName) {
        int dot = fileName.lastIndexOf('.');
        return dot > 0 && dot < fileName.length() - 1;
    }

    private static boolean looksLikeImage(Path file) {
        byte[] head = new byte[132];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, head.length);
            return ImageFormat.sniff(head, n) != ImageFormat.UNKNOWN;
        } catch (IOException e) {
            return false;
        }
    }

    /** DICOM files often have no extension (IM0001, 1.2.840...): accept those whose bytes say DICOM. */
    private static boolean extensionlessDicom(Path file) {
        byte[] head = new byte[132];
        try (InputStream in = Files.newInputStream(file)) {
            int n = in.readNBytes(head, 0, head.length);
            return ImageFormat.sniff(head, n) == ImageFormat.DICOM;
        } catch (IOException e) {
            return false;
        }
    }

    private static final String NAME_NOT_TEXT;

    static {
        String enc = System.getProperty("sun.jnu.encoding", "UTF-8");
        NAME_NOT_TEXT = "file name is not valid text in this system's file-name encoding (" + enc + "); rename the file"
                + (enc.toUpperCase(Locale.ROOT).replace("-", "").equals("UTF8") ? "" : " or run with a UTF-8 locale (LANG=C.UTF-8)")
                + " to include it";
    }

    /** Why a file whose name is not valid text is skipped (for every command that lists files). */
    public static String nameNotTextReason() { return NAME_NOT_TEXT; }

    /** True when the name survives a round trip through text (i.e. it was valid in the file-name encoding). */
    public static boolean representableName(Path p) {
        try {
            return p.getFileSystem().getPath(p.toString()).equals(p) && !p.toString().contains("\uFFFD");
        } catch (InvalidPathException e) {
            return false;
        }
    }

    private static void walkClass(Path classDir, ClassDir cd, String split, List<Sample> samples, List<Problem> problems) {
        try {
            Files.walkFileTree(classDir, EnumSet.of(FileVisitOption.FOLLOW_LINKS), MAX_WALK_DEPTH, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    if (dir.equals(classDir)) return FileVisitResult.CONTINUE;
                    String n = name(dir);
                    if (ignoredName(n)) return FileVisitResult.SKIP_SUBTREE;
                    if (hasImageExtension(n)) {
                        problems.add(new Problem(dir, "is a folder, not an image file (named like an image); skipped"));
                        return FileVisitResult.SKIP_SUBTREE;
                    }
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) {
                    String n = name(file);
                    if (ignoredName(n) || attrs.isDirectory()) return FileVisitResult.CONTINUE;
                    boolean candidate = hasImageExtension(n);
                    if (attrs.isSymbolicLink()) {
                        // FOLLOW_LINKS only hands us a link's own attributes when its target is missing.
                        if (candidate) problems.add(new Problem(file, "broken symbolic link (its target does not exist)"));
                        return FileVisitResult.CONTINUE;
                    }
                    if (!candidate && (hasExtension(n) || !attrs.isRegularFile() || !extensionlessDicom(file)))
                        return FileVisitResult.CONTINUE;
                    if (!attrs.isRegularFile()) {
                        problems.add(new Problem(file, "not a regular file (device, pipe or socket); skipped"));
                        return FileVisitResult.CONTINUE;
                    }
                    if (!representableName(file)) {
                        problems.add(new Problem(file, NAME_NOT_TEXT));
                        return FileVisitResult.CONTINUE;
                    }
                    if (!Files.isReadable(file)) {
                        problems.add(new Problem(file, "cannot read: permission denied"));
                        return FileVisitResult.CONTINUE;
                    }
                    Label label = labelFor(cd, n);
                    if (label == null) {
                        problems.add(new Problem(file, "cannot tell bacterial from viral pneumonia: the file name "
                                + "contains neither 'bacteria' nor 'virus' (or both)"));
                        return FileVisitResult.CONTINUE;
                    }
                    samples.add(new Sample(file, label, PatientIds.fromFileName(n), split));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path file, IOException exc) {
                    if (exc instanceof FileSystemLoopException)
                        problems.add(new Problem(file, "symbolic link loop (the link points back to a folder above it); skipped"));
                    else if (exc instanceof AccessDeniedException)
                        problems.add(new Problem(file, "cannot read: permission denied"));
                    else if (exc instanceof NoSuchFileException)
                        problems.add(new Problem(file, "vanished while scanning"));
                    else
                        problems.add(new Problem(file, "cannot read: " + exc.getMessage()));
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult postVisitDirectory(Path dir, IOException exc) {
                    if (exc != null) problems.add(new Problem(dir, "folder could not be fully listed: " + exc.getMessage()));
                    return FileVisitResult.CONTINUE;
                }
            });
        } catch (IOException e) {
            problems.add(new Problem(classDir, "cannot read folder: " + e.getMessage()));
        }
    }

    private static Label labelFor(ClassDir cd, String fileName) {
        switch (cd) {
            case NORMAL: return Label.NORMAL;
            case BACTERIA: return Label.BACTERIA;
            case VIRUS: return Label.VIRUS;
            default: {
                String n = fileName.toLowerCase(Locale.ROOT);
                boolean b = n.contains("bacteria"), v = n.contains("virus");
                return b == v ? null : b ? Label.BACTERIA : Label.VIRUS;
            }
        }
    }

    // ------------------------------------------------------------------ manifest

    private static final List<String> FILE_COLUMNS = List.of("file", "path", "filename", "file_name", "image", "image_path");
    private static final List<String> LABEL_COLUMNS = List.of("label", "class");
    private static final List<String> PATIENT_COLUMNS = List.of("patient_id", "patient", "patientid", "patient id");

    /**
     * Reads a CSV manifest. Paths are relative to the manifest's folder (or its {@code #root=} line), or absolute.
     * A header without {@code file} or {@code label}, or text that is not CSV, stops with one clear line; every bad
     * row (unknown label or split, duplicate, missing file) becomes a {@link Problem} and the rest is read.
     */
    public static DatasetScan readManifest(Path csv) {
        return readManifest(csv, PatientIds.Rule.NAMING);
    }

    /**
     * As {@link #readManifest(Path)}; a stated {@code patient_id} is read by {@code ids} (the naming rule of file names,
     * or as written). An empty one always comes from the file name.
     */
    public static DatasetScan readManifest(Path csv, PatientIds.Rule ids) {
        String text;
        try {
            byte[] bytes = Files.readAllBytes(csv);
            text = decodeText(bytes);
        } catch (NoSuchFileException e) {
            throw new UserException("no such file: " + csv);
        } catch (IOException e) {
            throw new UserException("cannot read manifest " + csv + ": " + e.getMessage());
        }
        Path rootOverride = null;
        if (text.startsWith(Manifest.ROOT_DIRECTIVE)) {
            int nl = text.indexOf('\n');
            String dir = (nl < 0 ? text : text.substring(0, nl)).substring(Manifest.ROOT_DIRECTIVE.length()).trim();
            try {
                rootOverride = Path.of(dir);
            } catch (InvalidPathException e) {
                throw new UserException("manifest " + csv + ": bad " + Manifest.ROOT_DIRECTIVE + " line '" + dir + "'");
            }
            if (!rootOverride.isAbsolute() || !Files.isDirectory(rootOverride))
                throw new UserException("manifest " + csv + ": its data folder " + dir + " does not exist"
                        + " (edit the first line if the images moved)");
            // keep line numbers right for messages: blank the directive line instead of removing it
            text = (nl < 0 ? "" : "\n" + text.substring(nl + 1));
        }
        List<Csv.Row> rows;
        try {
            rows = Csv.parse(text);
        } catch (IllegalArgumentException e) {
            throw new UserException("manifest " + csv + ": " + e.getMessage());
        }
        int hdr = 0;
        while (hdr < rows.size() && rows.get(hdr).blank()) hdr++;
        if (hdr >= rows.size())
            throw new UserException("manifest " + csv + " is empty (expected a header with at least file,label)");
        List<String> header = new ArrayList<>();
        for (String h : rows.get(hdr).fields()) header.add(h.trim().toLowerCase(Locale.ROOT));
        int fileCol = indexOf(header, FILE_COLUMNS), labelCol = indexOf(header, LABEL_COLUMNS);
        int patientCol = indexOf(header, PATIENT_COLUMNS), splitCol = indexOf(header, List.of("split", "set", "subset"));
        int foldCol = indexOf(header, List.of("fold"));
        if (fileCol < 0 || labelCol < 0) {
            List<String> missing = new ArrayList<>();
            if (fileCol < 0) missing.add("file");
            if (labelCol < 0) missing.add("label");
            throw new UserException("manifest " + csv + " has no '" + String.join("' or '", missing) + "' column "
                    + "(its header must hold at least file,label; found: " + String.join(",", rows.get(hdr).fields()) + ")");
        }
        int needed = Math.max(fileCol, labelCol);
        Path base = rootOverride != null ? rootOverride : csv.toAbsolutePath().getParent();
        Path shown = rootOverride != null ? rootOverride : (csv.getParent() == null ? Path.of("") : csv.getParent());

        List<Sample> samples = new ArrayList<>();
        List<Problem> problems = new ArrayList<>();
        Map<Path, Integer> folds = new LinkedHashMap<>();
        Map<String, Integer> firstLine = new HashMap<>();
        Map<String, Label> firstLabel = new HashMap<>();
        for (int r = hdr + 1; r < rows.size(); r++) {
            Csv.Row row = rows.get(r);
            if (row.blank()) continue;
            String where = "manifest line " + row.line();
            List<String> f = row.fields();
            if (f.size() <= needed) {
                problems.add(new Problem(csv, where + ": only " + f.size() + " field(s), expected at least " + (needed + 1)));
                continue;
            }
            // no trim: the parser already trimmed an unquoted field, and a quoted name keeps its spaces
            String rel = f.get(fileCol);
            if (rel.isBlank()) {
                problems.add(new Problem(csv, where + ": empty file path"));
                continue;
            }
            Path relPath;
            try {
                relPath = filePath(base, rel);
            } catch (InvalidPathException e) {
                problems.add(new Problem(csv, where + ": invalid file path '" + rel + "'"));
                continue;
            }
            // absolute paths and ../ are the user's to give: a manifest is a list of files, not a boundary
            Path file = shown.resolve(relPath).normalize();
            Path abs = base.resolve(relPath).normalize();
            String key = abs.toString();
            String labelText = f.get(labelCol).trim();
            Label label = Label.parse(labelText);
            if (label == null) {
                problems.add(new Problem(file, where + ": unknown label '" + labelText
                        + "' (expected bacteria, virus or normal)"));
                continue;
            }
            Integer dup = firstLine.get(key);
            if (dup != null) {
                Label other = firstLabel.get(key);
                problems.add(new Problem(file, where + ": duplicate of line " + dup
                        + (other != label ? " with a different label (" + other.id() + " there, " + label.id() + " here)" : "")
                        + "; skipped"));
                continue;
            }
            String split = null;
            if (splitCol >= 0 && splitCol < f.size() && !f.get(splitCol).isBlank()) {
                split = splitName(f.get(splitCol));
                if (split == null) {
                    problems.add(new Problem(file, where + ": unknown split '" + f.get(splitCol).trim()
                            + "' (expected train, val or test)"));
                    continue;
                }
            }
            Integer fold = null;
            if (foldCol >= 0 && foldCol < f.size() && !f.get(foldCol).isBlank()) {
                try {
                    fold = Integer.parseInt(f.get(foldCol).trim());
                    if (fold < 0) throw new NumberFormatException();
                } catch (NumberFormatException e) {
                    problems.add(new Problem(file, where + ": fold '" + f.get(foldCol).trim()
                            + "' is not a non-negative whole number"));
                    continue;
                }
            }
            if (!Files.exists(abs)) {
                problems.add(new Problem(file, where + ": file not found"));
                continue;
            }
            if (Files.isDirectory(abs)) {
                problems.add(new Problem(file, where + ": is a folder, not an image file"));
                continue;
            }
            String patient = patientCol >= 0 && patientCol < f.size() ? f.get(patientCol).trim() : "";
            patient = patient.isEmpty() ? PatientIds.fromFileName(abs.getFileName().toString()) : ids.apply(patient);
            firstLine.put(key, row.line()); // only accepted rows count as originals for duplicates
            firstLabel.put(key, label);
            samples.add(new Sample(file, label, patient, split));
            if (fold != null) folds.put(file, fold);
        }
        return new DatasetScan(samples, problems, "manifest", folds, csv);
    }

    /** A manifest's file field as a path: a Windows separator reads as '/', unless a file's own name holds it. */
    private static Path filePath(Path base, String field) {
        Path asWritten = Path.of(field).normalize();
        if (field.indexOf('\\') < 0 || Files.exists(base.resolve(asWritten))) return asWritten;
        return Path.of(field.replace('\\', '/')).normalize();
    }

    private static int indexOf(List<String> header, List<String> names) {
        for (String n : names) {
            int i = header.indexOf(n);
            if (i >= 0) return i;
        }
        return -1;
    }

    /** UTF-8 (with or without BOM); Excel's Windows-1252 exports as a fallback. */
    private static String decodeText(byte[] bytes) {
        try {
            return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .decode(java.nio.ByteBuffer.wrap(bytes)).toString();
        } catch (CharacterCodingException e) {
            return new String(bytes, java.nio.charset.Charset.forName("windows-1252"));
        }
    }
}
