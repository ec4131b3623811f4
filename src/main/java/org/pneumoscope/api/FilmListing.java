package org.pneumoscope.api;

import org.pneumoscope.data.FileListing;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
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
        List<Path> files = new ArrayList<>();
        List<String> problems = new ArrayList<>();
        FileListing.collect(paths, files, problems);
        return new FilmListing(files, problems);
    }
}
