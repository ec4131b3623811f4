package org.pneumoscope.data;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.FileVisitOption;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;

/** The image files under a list of paths, for scoring: no labels, no manifest, only what is there. */
public final class FileListing {
    private FileListing() {}

    /**
     * Appends to {@code out} the files as given, and every regular non-hidden file under folders, following symbolic links (a linked folder of
     * images is scored) but reporting loops, unreadable folders and names that are not valid text instead of
     * silently dropping them. Sorted within each folder.
     */
    public static void collect(List<Path> paths, List<Path> out, List<String> problems) throws IOException {
        for (Path p : paths) {
            if (!Files.isDirectory(p)) {
                if (!DatasetReader.representableName(p)) problems.add(p + ": " + DatasetReader.nameNotTextReason());
                else out.add(p); // the decoder says what is wrong with it, if anything
                continue;
            }
            List<Path> found = new ArrayList<>();
            Files.walkFileTree(p, EnumSet.of(FileVisitOption.FOLLOW_LINKS), 64, new SimpleFileVisitor<>() {
                @Override
                public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) {
                    return !dir.equals(p) && dir.getFileName().toString().startsWith(".") ? FileVisitResult.SKIP_SUBTREE
                            : FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFile(Path f, BasicFileAttributes attrs) {
                    String n = f.getFileName().toString();
                    if (n.startsWith(".") || n.endsWith(".csv") || n.endsWith(".json")) return FileVisitResult.CONTINUE;
                    if (attrs.isSymbolicLink()) problems.add(f + ": broken symbolic link (its target does not exist)");
                    else if (!attrs.isRegularFile()) problems.add(f + ": not a regular file (device, pipe or socket); skipped");
                    else if (!DatasetReader.representableName(f)) problems.add(f + ": " + DatasetReader.nameNotTextReason());
                    else found.add(f);
                    return FileVisitResult.CONTINUE;
                }

                @Override
                public FileVisitResult visitFileFailed(Path f, IOException e) {
                    if (e instanceof FileSystemLoopException)
                        problems.add(f + ": symbolic link loop (the link points back to a folder above it); skipped");
                    else if (e instanceof AccessDeniedException) problems.add(f + ": cannot read: permission denied");
                    else problems.add(f + ": cannot read: " + e.getMessage());
                    return FileVisitResult.CONTINUE;
                }
            });
            found.sort(null);
            out.addAll(found);
        }
    }
}
