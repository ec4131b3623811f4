package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.UserException;
import org.pneumoscope.dicom.DicomAnswer;
import org.pneumoscope.serve.ApiError;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

@Command(name = "watch", mixinStandardHelpOptions = true,
        description = {"Answer DICOM films dropped into a folder: for each, a structured report and a Grad-CAM secondary "
                + "capture in the film's study go to --dicom-out, and the film moves to IN/done/. A film that cannot be "
                + "answered moves to IN/refused/ beside NAME.error.json, the REST API's error for it.",
                "A PACS or DICOM router sends films to a storage node that writes them into IN (e.g. dcmtk: "
                        + "storescp --output-directory IN PORT) and sends OUT back (storescu HOST PORT OUT/*.dcm)."})
public class WatchCommand implements Callable<Integer> {
    @Parameters(index = "0", paramLabel = "IN", description = "The folder films arrive in (its own files only, not sub-folders).") Path in;
    @Option(names = "--run", required = true, description = "A finished run folder.") Path run;
    @Option(names = "--dicom-out", required = true, paramLabel = "OUT", description = "Where the answers go.") Path out;
    @Option(names = "--profile", paramLabel = "NAME", description = "Use the run's site profile NAME (made by adapt).") String profile;
    @Option(names = "--tta", description = "Average with the horizontally flipped image.") Boolean tta;
    @Option(names = "--once", description = "Answer the films there now, then exit (for cron or a script).") boolean once;
    @Option(names = "--interval", defaultValue = "2", paramLabel = "S",
            description = "Seconds between looks at IN (default ${DEFAULT-VALUE}); a film is taken once its size and "
                    + "time stamp have not changed between two looks, so one still being written is left alone.") double interval;

    private static final ObjectMapper JSON = new ObjectMapper();
    /** Size and modification time of each file at the last look. */
    private final Map<Path, List<Long>> lastLook = new HashMap<>();

    @Override
    public Integer call() throws Exception {
        if (!Files.isDirectory(in)) throw new UserException("watch: " + in + " is not a folder");
        if (!(interval > 0)) throw new UserException("watch: --interval must be above 0 seconds");
        try (Classifier c = Classifier.load(run, profile)) {
            DicomAnswer dicom = new DicomAnswer(tta != null ? c.withTta(tta) : c);
            if (!once) System.out.printf(Locale.ROOT, "watching %s; answers go to %s (Ctrl-C stops)%n", in, out);
            int refused = 0;
            do {
                for (Path f : ready()) refused += answer(dicom, f) ? 0 : 1;
                if (!once) Thread.sleep((long) (interval * 1000));
            } while (!once);
            return refused == 0 ? 0 : 1;
        }
    }

    /** The films that have not changed since the last look (all of them with --once), in name order. */
    List<Path> ready() throws IOException {
        List<Path> files = new ArrayList<>();
        try (DirectoryStream<Path> d = Files.newDirectoryStream(in)) {
            for (Path f : d) {
                String n = f.getFileName().toString();
                if (!n.startsWith(".") && Files.isRegularFile(f)) files.add(f);
            }
        }
        files.sort(null);
        List<Path> ready = new ArrayList<>();
        Map<Path, List<Long>> now = new HashMap<>();
        for (Path f : files) {
            List<Long> state;
            try {
                state = List.of(Files.size(f), Files.getLastModifiedTime(f).toMillis());
            } catch (IOException e) {
                continue; // gone or unreadable for now; looked at again next time
            }
            now.put(f, state);
            if (once || state.equals(lastLook.get(f))) ready.add(f);
        }
        lastLook.clear();
        lastLook.putAll(now);
        return ready;
    }

    /** Answers one film, or refuses it; true when answered. One film's failure never stops the watch. */
    boolean answer(DicomAnswer dicom, Path film) throws IOException {
        String name = film.getFileName().toString();
        ApiError refusal;
        try {
            DicomAnswer.Objects o = dicom.answer(Files.readAllBytes(film), name);
            List<Path> written = DicomAnswer.write(o, out, DicomAnswer.base(name));
            moveAside(film, "done");
            System.out.printf(Locale.ROOT, "answered %s: %s (p %.3f) -> %s, %s%n", name, o.prediction().label().id(),
                    o.prediction().confidence(), written.get(0), written.get(1));
            return true;
        } catch (DecodeException e) {
            refusal = ApiError.of(e);
        } catch (java.nio.file.NoSuchFileException e) {
            System.err.printf(Locale.ROOT, "skipped %s: it was taken away before it was read%n", name);
            return false;
        } catch (IOException e) {
            refusal = new ApiError(500, "io", "reading the film or writing its answer failed (" + e.getClass().getSimpleName() + ")");
        } catch (RuntimeException e) {
            // the class only: a message from deep inside could quote the file
            refusal = new ApiError(500, "internal", "answering this film failed (" + e.getClass().getSimpleName() + ")");
        }
        Path moved = moveAside(film, "refused");
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("status", refusal.status());
        body.putAll(refusal.body());
        AtomicFiles.writeString(moved.resolveSibling(moved.getFileName() + ".error.json"),
                JSON.writerWithDefaultPrettyPrinter().writeValueAsString(body) + "\n");
        System.err.printf(Locale.ROOT, "refused %s: %d %s: %s%n", name, refusal.status(), refusal.code(), refusal.detail());
        return false;
    }

    /** Moves a film into IN/SUB/ under its own name, or with a number added when that name is taken. */
    private Path moveAside(Path film, String sub) throws IOException {
        Path dir = in.resolve(sub);
        Files.createDirectories(dir);
        String name = film.getFileName().toString();
        Path target = dir.resolve(name);
        for (int i = 2; Files.exists(target); i++) target = dir.resolve(DicomAnswer.base(name) + "-" + i
                + (name.contains(".") && name.lastIndexOf('.') > 0 ? name.substring(name.lastIndexOf('.')) : ""));
        AtomicFiles.rename(film, target);
        lastLook.remove(film);
        return target;
    }
}
