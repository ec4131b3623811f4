package org.pneumoscope.train;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.core.UserException;
import org.pneumoscope.data.Sample;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class UpweightingTest {

    @Test
    void boundaryKeepsOnlyFilmsWhosePredictionCrossesTheNormalLine() {
        float[][] z = {{3, 0, 0}, {0, 3, 0}, {0, 0, 3}, {0, 0, 3}, {3, 0, 0}, {0, 3, 0}};
        int[] y = {0, 0, 0, 2, 2, 1};   // right, bacterial called viral, bacterial called normal, right, normal called bacterial, right
        assertArrayEquals(new int[] {2, 4}, Upweighting.find(z, y, TrainConfig.Upweight.BOUNDARY));
        assertArrayEquals(new int[] {1, 2, 4}, Upweighting.find(z, y, TrainConfig.Upweight.ERRORS));
        assertArrayEquals(new int[] {}, Upweighting.find(z, y, TrainConfig.Upweight.NONE));
    }

    /** 18 bacterial, 6 viral, 6 normal films; oversampled, each class gets 18 views. */
    static List<Sample> films() {
        List<Sample> train = new ArrayList<>();
        for (int i = 0; i < 30; i++) train.add(new Sample(Path.of("x" + i), Label.of(i < 18 ? 0 : i < 24 ? 1 : 2), "p" + i, "train"));
        return train;
    }

    @Test
    void filmsFoundAreShownFactorTimesAndEveryClassKeepsItsViews() {
        List<Sample> train = films();
        int[] counts = Trainer.counts(train);
        TrainConfig cfg = TrainerTest.tiny(1).with(Map.of("upweight", "boundary", "upweight_factor", 6));
        int[] found = {0, 20};
        Trainer.EpochPlan p = Trainer.epochOrder(cfg, train, counts, 3, found);
        assertEquals(Trainer.epochLength(cfg, counts), p.order().length, "the epoch keeps its length");
        int[] shown = new int[30], perClass = new int[3];
        for (int i : p.order()) { shown[i]++; perClass[train.get(i).label().index()]++; }
        assertArrayEquals(new int[] {18, 18, 18}, perClass, "each class keeps its oversampled views");
        assertEquals(6, shown[0]);
        assertEquals(6, shown[20]);
        int otherBacterial = 0;
        for (int i = 1; i < 18; i++) { assertTrue(shown[i] <= 1, "film " + i); otherBacterial += shown[i]; }
        assertEquals(12, otherBacterial, "what the found films leave of the bacterial quota goes to the others once each");
        for (int i = 18; i < 30; i++) if (i != 20) assertTrue(shown[i] >= 1, "film " + i + " still shown");
        // without films found, the plan is the one the config gives without upweighting, draw for draw
        assertArrayEquals(Trainer.epochOrder(cfg, train, counts, 3).order(), Trainer.epochOrder(cfg, train, counts, 3, new int[0]).order());
    }

    @Test
    void foundFilmsTakeAtMostHalfTheirClassesViews() {
        List<Sample> train = films();
        TrainConfig cfg = TrainerTest.tiny(1).with(Map.of("upweight", "errors", "upweight_factor", 50, "balance", "none"));
        int[] found = {24};   // one of the six normals, asked to be shown 50 times in a class of six views
        Trainer.EpochPlan p = Trainer.epochOrder(cfg, train, Trainer.counts(train), 0, found);
        int[] shown = new int[30];
        for (int i : p.order()) shown[i]++;
        assertEquals(30, p.order().length);
        assertEquals(3, shown[24], "half the normal class's six views");
        int others = 0;
        for (int i = 25; i < 30; i++) others += shown[i];
        assertEquals(3, others);
        for (int i = 0; i < 24; i++) assertEquals(1, shown[i], "film " + i + " of another class, without oversampling");
    }

    @Test
    void aRunWritesTheFilmsItUpweightsAndResumesWithThem(@TempDir Path dir) throws Exception {
        List<Sample> all = new ArrayList<>();
        Map<Path, GreyImage> imgs = TrainerTest.images(all, 36, 64, 2);
        TrainConfig cfg = TrainerTest.tiny(3).with(Map.of("upweight", "errors", "upweight_epoch", 1, "upweight_factor", 3,
                "ema", 0.9));
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        Trainer.Result full = run(dir.resolve("full"), cfg, false, all, imgs, log);
        Path file = dir.resolve("full").resolve(Upweighting.FILE);
        List<String> lines = Files.readAllLines(file);
        assertEquals("file,label,predicted", lines.get(0));
        assertTrue(lines.size() > 1, "after one epoch the network still misreads films: " + lines);
        assertTrue(log.toString().contains("upweight errors: after epoch 1, " + (lines.size() - 1) + " of 30 training films"), log.toString());
        for (String l : lines.subList(1, lines.size())) {
            String[] f = l.split(",");
            assertNotEquals(f[1], f[2], "an error of the network after epoch 1: " + l);
        }
        // stopped after epoch 2 and resumed: the list is read back, so the same films and the same losses
        run(dir.resolve("cut"), cfg.with("epochs", 2), false, all, imgs, new ByteArrayOutputStream());
        assertEquals(lines, Files.readAllLines(dir.resolve("cut").resolve(Upweighting.FILE)));
        ByteArrayOutputStream resumedLog = new ByteArrayOutputStream();
        assertSameLosses(full, run(dir.resolve("cut"), cfg, true, all, imgs, resumedLog));
        assertTrue(resumedLog.toString().contains("upweight: " + (lines.size() - 1) + " films read back"), resumedLog.toString());
        // stopped right after epoch 1, before the list was written: found again from that checkpoint, the same films
        run(dir.resolve("edge"), cfg.with("epochs", 1), false, all, imgs, new ByteArrayOutputStream());
        assertFalse(Files.exists(dir.resolve("edge").resolve(Upweighting.FILE)), "a run that stops there upweights nothing");
        assertSameLosses(full, run(dir.resolve("edge"), cfg, true, all, imgs, new ByteArrayOutputStream()));
        assertEquals(lines, Files.readAllLines(dir.resolve("edge").resolve(Upweighting.FILE)));
        // the list lost after later epochs cannot be found again: refused, naming the file
        run(dir.resolve("cut2"), cfg.with("epochs", 2), false, all, imgs, new ByteArrayOutputStream());
        Files.delete(dir.resolve("cut2").resolve(Upweighting.FILE));
        UserException lost = assertThrows(UserException.class, () -> run(dir.resolve("cut2"), cfg, true, all, imgs, new ByteArrayOutputStream()));
        assertTrue(lost.getMessage().contains(Upweighting.FILE) && lost.getMessage().contains("missing"), lost.getMessage());
    }

    private static void assertSameLosses(Trainer.Result a, Trainer.Result b) {
        assertEquals(a.history().size(), b.history().size());
        for (int e = 0; e < a.history().size(); e++) {
            assertEquals(a.history().get(e).trainLoss(), b.history().get(e).trainLoss(), 1e-5, "epoch " + (e + 1) + " train loss");
            assertEquals(a.history().get(e).valLoss(), b.history().get(e).valLoss(), 1e-5, "epoch " + (e + 1) + " val loss");
        }
    }

    /** A fresh run names films as the user gave them, a resumed one as split.csv holds them: absolute. */
    @Test
    void theListMatchesFilmsNamedRelativeOrAbsolute(@TempDir Path dir) throws Exception {
        List<Sample> relative = List.of(new Sample(Path.of("films", "a.png"), Label.NORMAL, "p1", "train"),
                new Sample(Path.of("films", "b.png"), Label.VIRUS, "p2", "train"));
        List<Sample> absolute = new ArrayList<>();
        for (Sample s : relative) absolute.add(new Sample(s.file().toAbsolutePath(), s.label(), s.patientId(), s.split()));
        Path file = dir.resolve(Upweighting.FILE);
        Upweighting.write(file, relative, new int[] {1}, new float[][] {{0, 0, 1}, {0, 0, 1}});
        assertArrayEquals(new int[] {1}, Upweighting.read(file, absolute));
        Files.writeString(file, "file,label,predicted\nnot/a/film.png,normal,virus\n");
        UserException stranger = assertThrows(UserException.class, () -> Upweighting.read(file, absolute));
        assertTrue(stranger.getMessage().contains("film.png") && stranger.getMessage().contains(Upweighting.FILE), stranger.getMessage());
        Files.writeString(file, "something else\n");
        UserException header = assertThrows(UserException.class, () -> Upweighting.read(file, absolute));
        assertTrue(header.getMessage().contains(Upweighting.FILE) && header.getMessage().contains("header"), header.getMessage());
    }

    @Test
    void badSettingsAreRefusedWhenTheConfigIsRead() {
        UserException a = assertThrows(UserException.class, () -> TrainerTest.tiny(1).with("upweight", "hardest"));
        assertTrue(a.getMessage().contains("upweight must be"), a.getMessage());
        assertThrows(UserException.class, () -> TrainerTest.tiny(1).with("upweight_factor", 1));
        assertThrows(UserException.class, () -> TrainerTest.tiny(1).with("upweight_epoch", 0));
    }

    private static Trainer.Result run(Path dir, TrainConfig cfg, boolean resume, List<Sample> all, Map<Path, GreyImage> imgs,
                                      ByteArrayOutputStream log) throws Exception {
        return TrainerTest.run(dir, cfg, resume, all, imgs, new PrintStream(log, true));
    }
}
