package org.pneumoscope.api;

import org.pneumoscope.data.DatasetReader;

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

/**
 * The files to score under a list of paths, and the inputs skipped while listing them, each with its reason.
 *
 * @param files    files given as they are, then the files found under each folder, sorted within it
 * @param problems "path: reason" for each input that is not a file to score
 */
public record FilmListing(List<Path> files, List<String> problems) {
    public FilmListing {
        files = List.copyOf(files);
        problems = List.copyOf(problems);
    }

    /**
     * Files as given, and every regular non-hidden file under folders, following symbolic links (a linked folder of
     * images is scored) but reporting loops, unreadable folders and names that are not valid text instead of
     * silently dropping them. Sorted within each folder.
     */
    public static FilmListing of(List<Path> paths) throws IOException {
        List<Path> out = new ArrayList<>();
        List<String> problems = new ArrayList<>();
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
        return new FilmListing(out, problems);
    }
}
