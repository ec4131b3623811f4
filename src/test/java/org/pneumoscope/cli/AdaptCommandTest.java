package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.model.Arch;
import org.pneumoscope.model.Head;
import org.pneumoscope.model.ModelSpec;
import org.pneumoscope.model.Norm;
import org.pneumoscope.model.XrayNet;
import org.pneumoscope.pipeline.EvaluateJob;
import org.pneumoscope.pipeline.SiteAdaptation;
import org.pneumoscope.pipeline.TrainedModel;
import org.pneumoscope.serve.PneumoscopeServer;
import org.pneumoscope.serve.ServerConfig;
import org.pneumoscope.synth.ImageFiles;
import org.pneumoscope.synth.PhantomGenerator;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@code adapt} on phantoms: a profile of re-estimated BatchNorm statistics is stored beside the run, the run's own
 * files stay byte for byte as they were, every door takes {@code --profile}, and unusable film sets are refused.
 */
class AdaptCommandTest {
    @TempDir static Path dir;
    static Path run, shifted, few, noise, plain;
    static String modelHash, cardHash;

    @BeforeAll
    static void trainAndRender() throws Exception {
        Path data = dir.resolve("phantoms");
        new PhantomGenerator().generate(data, 150, 64, 31, 2);
        run = dir.resolve("run");
        CliRun r = CliRun.of("train", "--data", data.toString(), "--out", run.toString(), "--preset", "demo",
                "--size", "64", "--epochs", "1", "--set", "max_minutes=0", "--set", "split=2:2:1",
                "--set", "tta=true"); // as the cpu preset: films are adapted to and measured mirrored too
        assertEquals(0, r.code(), r.all());
        Path fresh = dir.resolve("fresh");
        new PhantomGenerator().generate(fresh, 60, 64, 32, 2);
        shifted = dir.resolve("site-b");
        few = dir.resolve("few");
        AcquisitionShift s = AcquisitionShift.parse("gamma=2,blur=1.5,noise=0.05");
        List<Path> films = ShiftAlarmTest.pngs(fresh);
        for (int i = 0; i < films.size(); i++) {
            GreyImage g = s.apply(ImageFiles.readGrey(films.get(i)));
            ImageFiles.writePng(g, shifted.resolve(films.get(i).getFileName()));
            if (i < 20) ImageFiles.writePng(g, few.resolve(films.get(i).getFileName()));
        }
        Path large = dir.resolve("large"); // larger than the network's input, so that fitting them changes them
        new PhantomGenerator().generate(large, 60, 96, 33, 2);
        plain = dir.resolve("plain"); // the films alone, without the phantoms' lesion masks
        for (Path f : ShiftAlarmTest.pngs(large)) ImageFiles.writePng(ImageFiles.readGrey(f), plain.resolve(f.getFileName()));
        noise = dir.resolve("noise");
        Random rng = new Random(5);
        for (int i = 0; i < 60; i++) {
            byte[] px = new byte[64 * 64];
            rng.nextBytes(px);
            ImageFiles.writePng(new GreyImage(64, 64, px), noise.resolve("noise-" + i + ".png"));
        }
        modelHash = sha(run.resolve("model.params"));
        cardHash = sha(run.resolve("model.json"));
    }

    /** A rendering whose blur is measured in the network's pixels, so it differs before and after fitting a film. */
    static final String RENDERING = "gamma=2,blur=1.5";

    static String sha(Path f) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(f)));
    }

    /** Makes profile {@code name} from the shifted films once (tests may run in any order). */
    static synchronized void ensureProfile(String name) throws Exception {
        if (Files.isDirectory(run.resolve("profiles").resolve(name))) return;
        CliRun a = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", name, "--method", "adabn");
        assertEquals(0, a.code(), a.all());
    }

    @Test
    void adaptStoresAProfileAndLeavesTheRunAsItWas() throws Exception {
        ensureProfile("site-b");
        Path p = run.resolve("profiles").resolve("site-b");
        for (String f : List.of("model.params", "profile.json", "shift-reference.json"))
            assertTrue(Files.isRegularFile(p.resolve(f)), f);
        assertEquals(modelHash, sha(run.resolve("model.params")), "the run's weights are untouched");
        assertEquals(cardHash, sha(run.resolve("model.json")), "the run's card is untouched");
        JsonNode card = new ObjectMapper().readTree(p.resolve("profile.json").toFile());
        assertEquals("adabn", card.get("method").asText());
        assertEquals(60, card.get("films").asInt());
        try (var s = Files.list(run.resolve("profiles"))) {
            // other tests add their own profiles; none leaves a hidden temporary folder
            List<String> names = s.map(x -> x.getFileName().toString()).toList();
            assertTrue(names.contains("site-b") && names.stream().noneMatch(n -> n.startsWith(".")), names.toString());
        }
        CliRun again = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", "site-b");
        assertEquals(2, again.code(), again.all());
        assertTrue(again.all().contains("never overwrites"), again.all());
    }

    @Test
    void theProfileHoldsTheNewFilmsStatisticsAndChangesTheAnswers() throws Exception {
        ensureProfile("site-b");
        try (TrainedModel base = TrainedModel.load(run); TrainedModel adapted = TrainedModel.load(run, "site-b")) {
            assertEquals("site-b", adapted.profile());
            List<GreyImage> films = new ArrayList<>();
            for (Path f : ShiftAlarmTest.pngs(shifted)) films.add(EvaluateJob.load(f, base));
            float[][] a = base.logits(films, false), b = adapted.logits(films, false);
            double diff = 0;
            for (int i = 0; i < a.length; i++) for (int k = 0; k < 3; k++) diff += Math.abs(a[i][k] - b[i][k]);
            assertTrue(diff / a.length > 1e-3, "re-estimated statistics change the logits: " + diff / a.length);
            String stat = "bn1.running_mean";
            float[] before = base.net().namedParameters().get(stat).getArray().toFloatArray();
            float[] after = adapted.net().namedParameters().get(stat).getArray().toFloatArray();
            assertFalse(java.util.Arrays.equals(before, after), "the stem's running mean was re-estimated");
            float[] w0 = base.net().namedParameters().get("conv1.weight").getArray().toFloatArray();
            float[] w1 = adapted.net().namedParameters().get("conv1.weight").getArray().toFloatArray();
            assertArrayEquals(w0, w1, "learnt weights do not change");
            // the profile's own reference: its films are the new normal, so they raise no alarm under the profile
            assertTrue(adapted.shiftReference().isPresent());
            assertEquals(60, adapted.shiftReference().get().films());
        }
    }

    /**
     * TENT starts from AdaBN's statistics and moves only the BatchNorm scale and shift, towards more confident
     * answers on the films it adapted to.
     */
    @Test
    void tentMovesOnlyTheNormalisationScaleAndShiftAndLowersTheEntropy() throws Exception {
        ensureProfile("site-b");
        CliRun a = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", "site-b-tent", "--method", "tent");
        assertEquals(0, a.code(), a.all());
        assertTrue(a.out().contains("mean entropy"), a.all());
        Path p = run.resolve("profiles").resolve("site-b-tent");
        assertEquals("tent", new ObjectMapper().readTree(p.resolve("profile.json").toFile()).get("method").asText());
        assertEquals(modelHash, sha(run.resolve("model.params")), "the run's weights are untouched");
        try (TrainedModel base = TrainedModel.load(run); TrainedModel adabn = TrainedModel.load(run, "site-b");
             TrainedModel tent = TrainedModel.load(run, "site-b-tent")) {
            var b = base.net().namedParameters();
            var n = adabn.net().namedParameters();
            var t = tent.net().namedParameters();
            int movedAffine = 0;
            for (String k : t.keySet()) {
                float[] x = t.get(k).getArray().toFloatArray();
                ai.djl.nn.Parameter.Type type = t.get(k).getType();
                if (type == ai.djl.nn.Parameter.Type.GAMMA || type == ai.djl.nn.Parameter.Type.BETA) {
                    if (!java.util.Arrays.equals(x, n.get(k).getArray().toFloatArray())) movedAffine++;
                } else if (type == ai.djl.nn.Parameter.Type.RUNNING_MEAN || type == ai.djl.nn.Parameter.Type.RUNNING_VAR) {
                    assertArrayEquals(n.get(k).getArray().toFloatArray(), x, 1e-6f, k + ": AdaBN's statistics are kept");
                } else {
                    assertArrayEquals(b.get(k).getArray().toFloatArray(), x, k + ": learnt weights do not change");
                }
            }
            assertTrue(movedAffine > 0, "some scale or shift moved");
            List<GreyImage> films = new ArrayList<>();
            for (Path f : ShiftAlarmTest.pngs(shifted)) films.add(EvaluateJob.load(f, base));
            boolean tta = base.config().tta();
            assertTrue(entropy(tent.logits(films, tta)) < entropy(adabn.logits(films, tta)), "the answers on these films are surer");
        }
    }

    /**
     * AdaBN is the default; the diversity-keeping variant runs when asked and says so in its card, with the count of
     * answers the profile changed, which is also printed. The run's weights stay.
     */
    @Test
    void adabnIsTheDefaultAndInfomaxWritesItsOwnProfile() throws Exception {
        CliRun d = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", "site-b-default");
        assertEquals(0, d.code(), d.all());
        com.fasterxml.jackson.databind.JsonNode card = new ObjectMapper().readTree(
                run.resolve("profiles").resolve("site-b-default").resolve("profile.json").toFile());
        assertEquals("adabn", card.get("method").asText());
        int changed = card.get("answers_changed").asInt(-1);
        assertTrue(changed > 0 && changed <= 60, "films this shifted change some answers: " + card);
        assertTrue(d.out().contains("answers changed: " + changed + " of 60 films"), d.out());
        double est = card.path("estimated_accuracy_before").asDouble(-1), val = card.path("run_validation_accuracy").asDouble(-1);
        assertTrue(est >= 0 && est <= 1 && val >= 0 && val <= 1, "the network as trained, estimated without labels: " + card);
        assertTrue(d.out().contains(String.format(java.util.Locale.ROOT, "label-free accuracy estimate of the network as trained "
                + "on these films: %.0f %% (validation films %.0f %%; rough)", 100 * est, 100 * val)), d.out());
        CliRun a = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", "site-b-im", "--method", "infomax");
        assertEquals(0, a.code(), a.all());
        Path p = run.resolve("profiles").resolve("site-b-im");
        assertEquals("infomax", new ObjectMapper().readTree(p.resolve("profile.json").toFile()).get("method").asText());
        assertEquals(modelHash, sha(run.resolve("model.params")));
        CliRun bad = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", "x", "--method", "magic");
        assertEquals(2, bad.code(), bad.all());
        assertTrue(bad.err().contains("adabn") && bad.err().contains("infomax"), "a bad method names the choices: " + bad.err());
    }

    /**
     * --shift renders every film as evaluate --shift does, after fitting it to the network's input: as if the films
     * had been fitted and rendered so beforehand. The films are larger than the input, so rendering before fitting
     * would give other films and other statistics.
     */
    @Test
    void shiftRendersTheFilmsBeforeAdapting() throws Exception {
        Path rendered = dir.resolve("rendered");
        AcquisitionShift shift = AcquisitionShift.parse(RENDERING);
        try (TrainedModel m = TrainedModel.load(run)) {
            for (Path f : ShiftAlarmTest.pngs(plain))
                ImageFiles.writePng(shift.apply(m.recipe().fit(ImageFiles.readGrey(f))), rendered.resolve(f.getFileName()));
        }
        CliRun a = CliRun.of("adapt", "--run", run.toString(), "--data", plain.toString(), "--name", "fresh-shifted", "--shift", RENDERING);
        assertEquals(0, a.code(), a.all());
        CliRun b = CliRun.of("adapt", "--run", run.toString(), "--data", rendered.toString(), "--name", "rendered");
        assertEquals(0, b.code(), b.all());
        ObjectMapper json = new ObjectMapper();
        JsonNode ca = json.readTree(run.resolve("profiles/fresh-shifted/profile.json").toFile());
        JsonNode cb = json.readTree(run.resolve("profiles/rendered/profile.json").toFile());
        assertEquals(RENDERING, ca.path("shift").asText(), ca.toString());
        assertFalse(cb.has("shift"), "films as they are record no shift: " + cb);
        assertTrue(a.out().contains("adapted on 60 films rendered under " + RENDERING)
                && a.out().contains("evaluate --profile fresh-shifted --shift " + RENDERING), "the shift is named: " + a.out());
        // the same films give the same re-estimated statistics, to the byte, and the same answers
        assertEquals(sha(run.resolve("profiles/rendered/model.params")), sha(run.resolve("profiles/fresh-shifted/model.params")));
        for (String k : List.of("predicted_mix_before", "predicted_mix_after", "answers_changed"))
            assertEquals(cb.get(k), ca.get(k), k);
        CliRun bad = CliRun.of("adapt", "--run", run.toString(), "--data", plain.toString(), "--name", "x", "--shift", "blurr=1");
        assertEquals(2, bad.code(), bad.all());
        assertTrue(bad.all().contains("blurr"), "a bad spelling is named: " + bad.all());
        assertFalse(Files.exists(run.resolve("profiles/x")));
    }

    /** The run's BatchNorm statistics under profile {@code name} (null: as trained), one running statistic by name. */
    static float[] stat(String profile, String name) throws Exception {
        try (TrainedModel m = profile == null ? TrainedModel.load(run) : TrainedModel.load(run, profile)) {
            return m.net().namedParameters().get(name).getArray().toFloatArray();
        }
    }

    /**
     * Training stores the validation films' statistics, and adapting relative to them on those very films (read the
     * way adapt reads any films) leaves the network as trained, where AdaBN would not.
     */
    @Test
    void relativeAdaptingOnTheRunsOwnValidationFilmsChangesNothing() throws Exception {
        assertTrue(Files.isRegularFile(run.resolve("batchnorm-validation.bin")), "training stores the reference");
        String[] own = {"--data", run.resolve("split.csv").toString(), "--split", "val", "--min-films", "20"};
        CliRun rel = CliRun.of(cat(new String[] {"adapt", "--run", run.toString(), "--name", "own-rel", "--method", "relative"}, own));
        assertEquals(0, rel.code(), rel.all());
        CliRun ada = CliRun.of(cat(new String[] {"adapt", "--run", run.toString(), "--name", "own-adabn"}, own));
        assertEquals(0, ada.code(), ada.all());
        JsonNode card = new ObjectMapper().readTree(run.resolve("profiles/own-rel/profile.json").toFile());
        assertEquals("relative", card.get("method").asText());
        assertEquals("stored at training", card.get("relative_to").asText());
        double moved = 0, movedAdabn = 0;
        for (String k : List.of("bn1.running_mean", "bn1.running_var", "layer4.1.bn2.running_mean", "layer4.1.bn2.running_var")) {
            float[] base = stat(null, k), r = stat("own-rel", k), a = stat("own-adabn", k);
            for (int c = 0; c < base.length; c++) {
                double scale = Math.abs(base[c]) + 1e-3;
                moved = Math.max(moved, Math.abs(r[c] - base[c]) / scale);
                movedAdabn = Math.max(movedAdabn, Math.abs(a[c] - base[c]) / scale);
            }
        }
        assertTrue(moved < 1e-3, "the run's own films leave its statistics as trained: " + moved);
        assertTrue(movedAdabn > 0.05, "AdaBN on them replaces the stored statistics: " + movedAdabn);
        assertEquals(0, card.get("answers_changed").asInt(), card.toString());
        assertEquals(modelHash, sha(run.resolve("model.params")));
    }

    /** On another site's films, the stored statistics move by how far AdaBN's estimate lies from the validation films'. */
    @Test
    void relativeAdaptingMovesTheStoredStatisticsByTheNewFilmsDifference() throws Exception {
        ensureProfile("site-b");
        CliRun rel = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", "site-b-rel", "--method", "relative");
        assertEquals(0, rel.code(), rel.all());
        var own = org.pneumoscope.model.BatchNormStatistics.read(run.resolve("batchnorm-validation.bin")).entries();
        int checked = 0;
        for (var e : own) {
            if (!e.name().equals("layer2.0.bn1.running_mean") && !e.name().equals("layer2.0.bn1.running_var")) continue;
            checked++;
            float[] base = stat(null, e.name()), site = stat("site-b", e.name()), r = stat("site-b-rel", e.name());
            for (int c = 0; c < base.length; c++) {
                float eps = XrayNet.BN_EPSILON;
                float want = e.variance() ? (base[c] + eps) * (site[c] + eps) / (e.values()[c] + eps) - eps
                        : base[c] + site[c] - e.values()[c];
                assertEquals(want, r[c], 1e-4 * (Math.abs(want) + 1), e.name() + "[" + c + "]");
            }
        }
        assertEquals(2, checked, "the mean and variance named were found");
        // an adapted run holds other statistics than those the reference pairs with: relative adapting refuses it
        Path adapted = dir.resolve("adapted-run");
        assertEquals(0, CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--out", adapted.toString()).code());
        assertFalse(Files.exists(adapted.resolve("batchnorm-validation.bin")));
        CliRun again = CliRun.of("adapt", "--run", adapted.toString(), "--data", shifted.toString(), "--name", "x", "--method", "relative");
        assertEquals(2, again.code(), again.all());
        assertTrue(again.all().contains("is an adapted run"), again.all());
        // a damaged reference is refused with its file named
        Path damaged = dir.resolve("damaged-run");
        Files.createDirectories(damaged);
        for (String f : List.of("model.params", "model.json", "config.yaml", "split.csv", "shift-reference.json", "shift-features.bin"))
            if (Files.isRegularFile(run.resolve(f))) Files.copy(run.resolve(f), damaged.resolve(f));
        byte[] ref = Files.readAllBytes(run.resolve("batchnorm-validation.bin"));
        Files.write(damaged.resolve("batchnorm-validation.bin"), java.util.Arrays.copyOf(ref, ref.length / 2));
        CliRun d = CliRun.of("adapt", "--run", damaged.toString(), "--data", shifted.toString(), "--name", "x", "--method", "relative");
        assertEquals(2, d.code(), d.all());
        assertTrue(d.all().contains(damaged.resolve("batchnorm-validation.bin").toString()) && d.all().contains("delete it"), d.all());
        assertEquals(modelHash, sha(run.resolve("model.params")));
    }

    /**
     * A run trained before training stored the reference re-estimates it from its validation films, where its split
     * still finds them, to the same statistics; without them it refuses and points to AdaBN.
     */
    @Test
    void anOlderRunReestimatesTheReferenceFromItsSplitOrRefuses() throws Exception {
        Path old = dir.resolve("old-run");
        Files.createDirectories(old);
        for (String f : List.of("model.params", "model.json", "config.yaml", "split.csv", "shift-reference.json", "shift-features.bin"))
            if (Files.isRegularFile(run.resolve(f))) Files.copy(run.resolve(f), old.resolve(f));
        CliRun a = CliRun.of("adapt", "--run", old.toString(), "--data", shifted.toString(), "--name", "rel", "--method", "relative");
        assertEquals(0, a.code(), a.all());
        assertTrue(a.out().contains("re-estimated them from its"), a.out());
        JsonNode card = new ObjectMapper().readTree(old.resolve("profiles/rel/profile.json").toFile());
        assertTrue(card.get("relative_to").asText().startsWith("re-estimated from "), card.toString());
        var stored = org.pneumoscope.model.BatchNormStatistics.read(run.resolve("batchnorm-validation.bin")).entries();
        try (TrainedModel m = TrainedModel.load(old)) {
            var fresh = new java.util.HashMap<String, float[]>();
            // the reference re-estimated now, read back from the profile: profile = trained + site − reference
            try (TrainedModel p = TrainedModel.load(old, "rel"); TrainedModel site = TrainedModel.load(run, ensured("site-b"))) {
                for (var e : stored) {
                    if (e.variance()) continue;
                    float[] t = m.net().namedParameters().get(e.name()).getArray().toFloatArray();
                    float[] s = site.net().namedParameters().get(e.name()).getArray().toFloatArray();
                    float[] q = p.net().namedParameters().get(e.name()).getArray().toFloatArray();
                    float[] ref = new float[t.length];
                    for (int c = 0; c < t.length; c++) ref[c] = t[c] + s[c] - q[c];
                    fresh.put(e.name(), ref);
                }
            }
            for (var e : stored)
                if (!e.variance()) assertArrayEquals(e.values(), fresh.get(e.name()), 1e-3f, e.name() + ": the same reference");
        }
        Files.delete(old.resolve("split.csv"));
        CliRun b = CliRun.of("adapt", "--run", old.toString(), "--data", shifted.toString(), "--name", "rel2", "--method", "relative");
        assertEquals(2, b.code(), b.all());
        assertTrue(b.all().contains("batchnorm-validation.bin") && b.all().contains("--method adabn"), b.all());
        assertFalse(Files.exists(old.resolve("profiles/rel2")));
    }

    /** --through re-estimates the shallow stages as AdaBN does and leaves the deeper ones as trained. */
    @Test
    void throughLeavesTheDeeperStagesAsTrained() throws Exception {
        ensureProfile("site-b");
        CliRun a = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", "site-b-l2", "--through", "layer2");
        assertEquals(0, a.code(), a.all());
        JsonNode card = new ObjectMapper().readTree(run.resolve("profiles/site-b-l2/profile.json").toFile());
        assertEquals("[\"stem\",\"layer1\",\"layer2\"]", card.get("stages").toString());
        for (String k : List.of("bn1.running_mean", "layer1.0.bn1.running_var", "layer2.1.bn2.running_mean",
                "layer3.0.bn1.running_mean", "layer4.1.bn2.running_var")) {
            float[] trained = stat(null, k), full = stat("site-b", k), l2 = stat("site-b-l2", k);
            assertFalse(java.util.Arrays.equals(trained, full), k + ": AdaBN moved it");
            boolean shallow = !k.startsWith("layer3") && !k.startsWith("layer4");
            assertArrayEquals(shallow ? full : trained, l2, 1e-6f, k + (shallow ? ": re-estimated" : ": as trained"));
        }
        CliRun tent = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", "x", "--through",
                "layer2", "--method", "tent");
        assertEquals(2, tent.code(), tent.all());
        assertTrue(tent.all().contains("--through applies to --method adabn and relative"), tent.all());
        CliRun bad = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", "x", "--through", "layer9");
        assertEquals(2, bad.code(), bad.all());
        assertTrue(bad.all().contains("stem, layer1, layer2, layer3, layer4"), "the stages are listed: " + bad.all());
        assertFalse(Files.exists(run.resolve("profiles/x")));
    }

    /**
     * Aligning moves the linear head only: every BatchNorm statistic stays as trained; on the run's own validation films
     * (the films its shift reference was taken on) the head stays as it was and no answer changes; on another site's
     * films the head moves. Refused with --through and for an adapted run, whose reference is another site's.
     */
    @Test
    void alignMovesOnlyTheHeadAndLeavesItOnTheRunsOwnFilms() throws Exception {
        String[] own = {"--data", run.resolve("split.csv").toString(), "--split", "val", "--min-films", "20"};
        CliRun mine = CliRun.of(cat(new String[] {"adapt", "--run", run.toString(), "--name", "own-align", "--method", "align"}, own));
        assertEquals(0, mine.code(), mine.all());
        assertTrue(mine.out().contains("pooled features aligned to the"), mine.out());
        CliRun site = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", "site-b-align", "--method", "align");
        assertEquals(0, site.code(), site.all());
        JsonNode card = new ObjectMapper().readTree(run.resolve("profiles/own-align/profile.json").toFile());
        assertEquals("align", card.get("method").asText());
        assertEquals(0, card.get("answers_changed").asInt(), card.toString());
        for (String k : List.of("bn1.running_mean", "layer2.1.bn2.running_var", "layer4.1.bn2.running_mean"))
            assertArrayEquals(stat(null, k), stat("site-b-align", k), 0f, k + ": as trained");
        float[] w = stat(null, "fc.weight"), wOwn = stat("own-align", "fc.weight"), wSite = stat("site-b-align", "fc.weight");
        assertArrayEquals(w, wOwn, 1e-3f * (1 + max(w)), "the run's own films leave the head as it was");
        assertArrayEquals(stat(null, "fc.bias"), stat("own-align", "fc.bias"), 1e-3f * (1 + max(w)));
        double moved = 0;
        for (int i = 0; i < w.length; i++) moved = Math.max(moved, Math.abs(wSite[i] - w[i]));
        assertTrue(moved > 0.01 * max(w), "another site's films move the head: " + moved);
        CliRun through = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", "x",
                "--method", "align", "--through", "layer2");
        assertEquals(2, through.code(), through.all());
        Path adapted = dir.resolve("adapted-for-align");
        assertEquals(0, CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--out", adapted.toString()).code());
        CliRun again = CliRun.of("adapt", "--run", adapted.toString(), "--data", shifted.toString(), "--name", "x", "--method", "align");
        assertEquals(2, again.code(), again.all());
        assertTrue(again.all().contains("is an adapted run"), again.all());
        // a run without the validation films' features (trained before the shift reference existed) has nothing to align to
        Path bare = dir.resolve("run-without-reference");
        Files.createDirectories(bare);
        for (String f : List.of("model.params", "model.json", "config.yaml", "split.csv"))
            Files.copy(run.resolve(f), bare.resolve(f));
        CliRun none = CliRun.of("adapt", "--run", bare.toString(), "--data", shifted.toString(), "--name", "x", "--method", "align");
        assertEquals(2, none.code(), none.all());
        assertTrue(none.all().contains("shift-reference.json") && none.all().contains("--method adabn"), none.all());
        assertFalse(Files.exists(run.resolve("profiles/x")) || Files.exists(bare.resolve("profiles/x")));
        assertEquals(modelHash, sha(run.resolve("model.params")));
    }

    private static float max(float[] v) {
        float m = 0;
        for (float x : v) m = Math.max(m, Math.abs(x));
        return m;
    }

    private static String ensured(String name) throws Exception {
        ensureProfile(name);
        return name;
    }

    private static String[] cat(String[] a, String[] b) {
        String[] c = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, c, a.length, b.length);
        return c;
    }

    @Test
    void answersChangedCountsFilmsWhoseTopClassMoved() {
        float[][] before = {{0.6f, 0.3f, 0.1f}, {0.2f, 0.5f, 0.3f}, {0.1f, 0.1f, 0.8f}};
        float[][] after = {{0.5f, 0.4f, 0.1f}, {0.2f, 0.3f, 0.5f}, {0.5f, 0.1f, 0.4f}};
        assertEquals(2, org.pneumoscope.pipeline.AdaptJob.changed(before, after));
    }

    /** Mean entropy of the softmax of each row. */
    static double entropy(float[][] logits) {
        double sum = 0;
        for (float[] l : logits) {
            double max = Double.NEGATIVE_INFINITY, z = 0, h = 0;
            for (float v : l) max = Math.max(max, v);
            for (float v : l) z += Math.exp(v - max);
            for (float v : l) {
                double p = Math.exp(v - max) / z;
                if (p > 0) h -= p * Math.log(p);
            }
            sum += h;
        }
        return sum / logits.length;
    }

    @Test
    void everyDoorTakesTheProfile() throws Exception {
        ensureProfile("site-b");
        Path ev = dir.resolve("eval-b");
        CliRun e = CliRun.of("evaluate", "--run", run.toString(), "--profile", "site-b", "--out", ev.toString(), "--no-gallery");
        assertEquals(0, e.code(), e.all());
        assertEquals("site-b", new ObjectMapper().readTree(ev.resolve("metrics.json").toFile()).get("profile").asText());
        Path csvA = dir.resolve("pred-a.csv"), csvB = dir.resolve("pred-b.csv");
        assertEquals(0, CliRun.of("predict", "--run", run.toString(), shifted.toString(), "--out", csvA.toString()).code());
        CliRun p = CliRun.of("predict", "--run", run.toString(), "--profile", "site-b", shifted.toString(), "--out", csvB.toString());
        assertEquals(0, p.code(), p.all());
        assertNotEquals(Files.readString(csvA), Files.readString(csvB), "the profile's predictions differ from the run's");
        try (PneumoscopeServer s = PneumoscopeServer.start(ServerConfig.builder(run).profile("site-b").port(0).build())) {
            assertEquals("site-b", s.modelInfo().card().get("profile"));
        }
        CliRun bad = CliRun.of("predict", "--run", run.toString(), "--profile", "nowhere", shifted.toString());
        assertNotEquals(0, bad.code());
        assertTrue(bad.all().contains("no site profile 'nowhere'") && bad.all().contains("site-b"), bad.all());
    }

    @Test
    void calibrateWithAProfileWritesIntoTheProfileOnly() throws Exception {
        ensureProfile("site-c");
        Path labelled = dir.resolve("fresh"); // labelled films the run never saw: its own are refused
        CliRun c = CliRun.of("calibrate", "--run", run.toString(), "--profile", "site-c", "--data", labelled.toString(),
                "--method", "temperature");
        assertEquals(0, c.code(), c.all());
        assertEquals(cardHash, sha(run.resolve("model.json")), "the run's card is untouched");
        JsonNode card = new ObjectMapper().readTree(run.resolve("profiles/site-c/profile.json").toFile());
        assertTrue(card.get("temperature").isNumber(), card.toString());
        try (TrainedModel m = TrainedModel.load(run, "site-c")) {
            assertEquals(card.get("temperature").asDouble(), m.temperature(), 1e-9);
        }
    }

    @Test
    void refusesTooFewFilmsThingsThatAreNotChestXraysAndBadNames() {
        CliRun a = CliRun.of("adapt", "--run", run.toString(), "--data", few.toString(), "--name", "few");
        assertNotEquals(0, a.code());
        assertTrue(a.all().contains("at least 50 usable films") && a.all().contains("has 20"), a.all());
        CliRun b = CliRun.of("adapt", "--run", run.toString(), "--data", noise.toString(), "--name", "noise");
        assertNotEquals(0, b.code());
        assertTrue(b.all().contains("do not look like chest X-rays"), b.all());
        CliRun c = CliRun.of("adapt", "--run", run.toString(), "--data", shifted.toString(), "--name", "../up");
        assertEquals(2, c.code(), c.all());
        for (String n : List.of("few", "noise")) assertFalse(Files.exists(run.resolve("profiles").resolve(n)), n);
    }

    @Test
    void aGroupNormNetworkHasNothingToAdapt() {
        try (XrayNet gn = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withWidth(0.25).withNorm(Norm.GROUP));
             XrayNet bn = XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withWidth(0.25))) {
            assertFalse(SiteAdaptation.hasBatchNorm(gn));
            assertTrue(SiteAdaptation.hasBatchNorm(bn));
        }
    }
}
