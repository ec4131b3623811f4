package org.pneumoscope.export;

import org.pneumoscope.testing.RequiredTools;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.pneumoscope.api.Classifier;
import org.pneumoscope.api.Film;
import org.pneumoscope.api.Prediction;
import org.pneumoscope.api.TinyRun;
import org.pneumoscope.cli.CliRun;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.InputRecipe;
import org.pneumoscope.model.XrayNet;
import org.pneumoscope.synth.PhantomGenerator;
import org.pneumoscope.train.Models;
import org.pneumoscope.train.Presets;
import org.pneumoscope.train.RunFolder;
import org.pneumoscope.train.TrainConfig;

import java.io.IOException;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The ONNX export checked by runtimes written elsewhere: ONNX Runtime must give the probabilities the Java API gives
 * (no mirror averaging) within 1e-4, on phantoms and real films, for every network the presets build; Debian's onnx
 * checker must accept the file. The networks are untrained but their normalisation statistics, scales and biases are
 * randomised, so every layer shapes the answer (a freshly built net has identity BatchNorms and zeroed residual branches).
 */
class OnnxExportTest {
    @TempDir static Path dir;
    static List<Film> films;
    static final OrtEnvironment ENV = OrtEnvironment.getEnvironment();

    @BeforeAll
    static void films() throws Exception {
        films = new ArrayList<>();
        PhantomGenerator gen = new PhantomGenerator();
        Random rng = new Random(5);
        for (Label l : Label.values())
            for (int i = 0; i < 2; i++) films.add(Film.of(gen.render(l, 96, rng).image(), "phantom-" + l.id() + "-" + i));
        films.addAll(realFilms(6));
    }

    /** A few films of the shared Kermany set (different classes), or none when it is absent. */
    static List<Film> realFilms(int n) throws Exception {
        Path k = Path.of(System.getProperty("pneumoscope.shared", "../shared"), "data", "kermany224");
        if (!Files.isRegularFile(k.resolve("manifest.csv"))) return List.of();
        List<String> lines = Files.readAllLines(k.resolve("manifest.csv"));
        List<Film> out = new ArrayList<>();
        for (int i = 1; i < lines.size() && out.size() < n; i += Math.max(1, lines.size() / (n + 1)))
            out.add(Film.read(k.resolve(lines.get(i).split(",")[0])));
        return out;
    }

    /** The networks the presets build (and the Java API's tiny fixture), each small enough to check in a second or two. */
    static Stream<String> networks() {
        return Stream.of("tiny", "cpu", "cpu-group", "cpu-ibn", "cpu-wide", "seed");
    }

    static synchronized Path run(String name) throws Exception {
        Path d = dir.resolve("run-" + name);
        if (Files.exists(d)) return d;
        return switch (name) {
            case "tiny" -> TinyRun.make(d, Map.of("contrast", "equalize"), true);
            case "cpu" -> perturbedRun(d, Presets.resolve("cpu", Map.of()), 1);
            case "cpu-group" -> perturbedRun(d, Presets.resolve("cpu", Map.of("norm", "group", "size", 64)), 2);
            case "cpu-ibn" -> perturbedRun(d, Presets.resolve("cpu", Map.of("norm", "ibn", "size", 64)), 5);
            case "cpu-wide" -> perturbedRun(d, Presets.resolve("cpu-wide", Map.of("size", 64)), 3);
            // bottleneck blocks, the seed head's BatchNorm-dense blocks, three channels, letterboxing
            case "seed" -> perturbedRun(d, Presets.resolve("seed", Map.of("width", 0.25, "size", 64, "channels", 3,
                    "resize", "letterbox")), 4);
            default -> throw new IllegalArgumentException(name);
        };
    }

    /**
     * A finished run of {@code cfg}'s untrained network with random normalisation statistics, scales and biases, and a
     * calibration with class offsets and a temperature that keeps its probabilities off 0 and 1 (a deep untrained
     * network's logits can run to hundreds).
     */
    static Path perturbedRun(Path d, TrainConfig cfg, long seed) throws IOException {
        RunFolder run = new RunFolder(d);
        Files.createDirectories(d);
        Random r = new Random(seed);
        double temperature;
        try (XrayNet net = Models.build(cfg, false, null); NDManager m = NDManager.newBaseManager()) {
            for (Map.Entry<String, ai.djl.nn.Parameter> e : net.namedParameters().entrySet()) {
                NDArray a = e.getValue().getArray();
                String n = e.getKey();
                if (n.endsWith(".weight") && a.getShape().dimension() > 1) continue; // conv and dense kernels stay
                float[] v = a.toFloatArray();
                for (int i = 0; i < v.length; i++) {
                    double g = r.nextGaussian();
                    v[i] = (float) (n.endsWith("running_var") ? 0.5 + r.nextDouble() : n.endsWith(".weight") ? 1 + 0.3 * g : 0.2 * g);
                }
                a.set(v);
            }
            net.save(run.modelParams());
            float[] z = net.predict(m.randomNormal(new Shape(4, cfg.channels(), cfg.size(), cfg.size()))).toFloatArray();
            double spread = 0;
            for (float v : z) spread = Math.max(spread, Math.abs(v - z[0]));
            temperature = Math.max(0.8, spread / 2);
        }
        Map<String, Object> card = new LinkedHashMap<>();
        card.put("config", cfg.toMap());
        card.put("input", cfg.input().toMap());
        card.put("temperature", temperature);
        card.put("calibration_method", "bias-corrected");
        card.put("class_bias", List.of(0.3, -0.5, 0.2));
        RunFolder.JSON.writeValue(run.modelJson().toFile(), card);
        return d;
    }

    static Path export(String name) throws Exception {
        Path f = dir.resolve(name + ".onnx");
        if (Files.exists(f)) return f;
        try (Classifier c = Classifier.load(run(name))) {
            OnnxExport.write(c.model(), f);
        }
        return f;
    }

    @ParameterizedTest
    @MethodSource("networks")
    void onnxRuntimeGivesTheProbabilitiesOfTheJavaApi(String name) throws Exception {
        Path onnx = export(name);
        try (Classifier loaded = Classifier.load(run(name))) {
            Classifier c = loaded.withTta(false);
            List<Prediction> java = c.predict(films);
            float[][][] ort = runOrt(onnx, inputs(c.recipe(), films), c.recipe());
            float[][] probs = ort[1];
            List<GreyImage> fitted = films.stream().map(f -> c.recipe().fit(f.image())).toList();
            float[][] logits = c.model().logits(fitted, false);
            double worst = 0, spread = 0, worstLogit = 0;
            for (int i = 0; i < films.size(); i++) {
                float[] p = java.get(i).probabilities();
                for (int k = 0; k < Label.COUNT; k++) {
                    worst = Math.max(worst, Math.abs(p[k] - probs[i][k]));
                    spread = Math.max(spread, Math.abs(p[k] - java.get(0).probabilities()[k]));
                    worstLogit = Math.max(worstLogit, Math.abs(logits[i][k] - ort[0][i][k]));
                }
            }
            System.out.printf(Locale.ROOT, "export %-9s %s: %d films, max |p_onnx - p_java| %.2e, max |logit diff| %.2e, "
                    + "spread of p across films %.3f%n", name, c.model().net().spec().encode(), films.size(), worst, worstLogit, spread);
            assertTrue(worst <= 1e-4, name + ": ONNX Runtime's probabilities differ from the Java API's by " + worst);
            assertTrue(spread > 1e-3, name + ": the films all got the same probabilities, so the comparison shows nothing");
        }
    }

    static float[] inputs(InputRecipe recipe, List<Film> films) {
        int per = recipe.channels() * recipe.size() * recipe.size();
        float[] x = new float[films.size() * per];
        for (int i = 0; i < films.size(); i++)
            System.arraycopy(recipe.tensor(recipe.fit(films.get(i).image())), 0, x, i * per, per);
        return x;
    }

    /** ONNX Runtime's logits and probabilities. */
    static float[][][] runOrt(Path onnx, float[] x, InputRecipe r) throws Exception {
        long n = x.length / ((long) r.channels() * r.size() * r.size());
        try (OrtSession s = ENV.createSession(onnx.toString(), new OrtSession.SessionOptions());
             OnnxTensor t = OnnxTensor.createTensor(ENV, FloatBuffer.wrap(x), new long[] {n, r.channels(), r.size(), r.size()});
             OrtSession.Result out = s.run(Map.of(OnnxExport.INPUT, t))) {
            return new float[][][] {(float[][]) out.get(OnnxExport.LOGITS).orElseThrow().getValue(),
                    (float[][]) out.get(OnnxExport.PROBABILITIES).orElseThrow().getValue()};
        }
    }

    @Test
    void theFileAndItsSidecarCarryTheRecipeAndTheCalibration() throws Exception {
        Path onnx = export("cpu");
        JsonNode side = RunFolder.JSON.readTree(OnnxExport.sidecarOf(onnx).toFile());
        assertEquals(HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(onnx))),
                side.get("onnx_sha256").asText(), "the sidecar names the file it belongs to");
        Map<String, String> meta;
        try (OrtSession s = ENV.createSession(onnx.toString(), new OrtSession.SessionOptions())) {
            meta = s.getMetadata().getCustomMetadata();
            assertEquals("pneumoscope", s.getMetadata().getProducerName());
        }
        TrainConfig cfg = Presets.resolve("cpu", Map.of());
        Map<String, Object> recipe = RunFolder.JSON.readValue(meta.get("input"), new TypeReference<>() {});
        assertEquals(cfg.input(), InputRecipe.fromMap(recipe), "metadata 'input' is the run's recipe");
        assertEquals(cfg.input(), InputRecipe.fromMap(RunFolder.JSON.convertValue(side.get("input"), Map.class)));
        JsonNode cal = RunFolder.JSON.readTree(meta.get("calibration"));
        assertEquals(RunFolder.JSON.readTree(new RunFolder(run("cpu")).modelJson().toFile()).get("temperature").asDouble(),
                cal.get("temperature").asDouble(), 1e-12);
        assertEquals(-0.5, cal.get("class_bias").get(1).asDouble(), 1e-12);
        assertEquals(List.of(Label.ids()), RunFolder.JSON.readValue(meta.get("classes"), new TypeReference<List<String>>() {}));
        for (String k : List.of("input", "calibration", "classes", "model", "graph"))
            assertEquals(side.get(k), RunFolder.JSON.readTree(meta.get(k)), "metadata '" + k + "' and the sidecar agree");
    }

    @Test
    void debiansOnnxCheckerAcceptsTheFile() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        RequiredTools.assume("onnx", Files.isExecutable(python)
                        && new ProcessBuilder(python.toString(), "-c", "import onnx").start().waitFor() == 0,
                "Debian's python3-onnx is not installed (apt-get install python3-onnx)");
        String script = String.join("\n",
                "import json, sys, onnx",
                "m = onnx.load(sys.argv[1])",
                "onnx.checker.check_model(m, full_check=True)",
                "meta = {p.key: p.value for p in m.metadata_props}",
                "print(json.dumps({'ir': m.ir_version, 'opset': m.opset_import[0].version,",
                "  'inputs': [i.name for i in m.graph.input], 'outputs': [o.name for o in m.graph.output],",
                "  'input': json.loads(meta['input'])}))");
        for (String name : List.of("cpu", "cpu-group", "cpu-ibn", "seed")) {
            Path onnx = export(name);
            Process p = new ProcessBuilder(python.toString(), "-c", script, onnx.toString()).redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the checker did not finish");
            assertEquals(0, p.exitValue(), name + ": onnx.checker refused the export:\n" + out);
            JsonNode j = RunFolder.JSON.readTree(out.lines().reduce((a, b) -> b).orElse("{}"));
            assertEquals(List.of(OnnxExport.INPUT), RunFolder.JSON.convertValue(j.get("inputs"), List.class));
            assertEquals(List.of(OnnxExport.LOGITS, OnnxExport.PROBABILITIES), RunFolder.JSON.convertValue(j.get("outputs"), List.class));
            assertEquals(OnnxGraph.OPSET, j.get("opset").asLong());
            try (Classifier c = Classifier.load(run(name))) {
                assertEquals(c.recipe(), InputRecipe.fromMap(RunFolder.JSON.convertValue(j.get("input"), Map.class)));
            }
        }
    }

    /**
     * The README's Python blocks, run by Debian's python3 with numpy and Pillow against a stand-in for onnxruntime
     * (Debian has none) that reads the metadata with onnx and hands over the tensor it is given: that tensor must be
     * the one {@code predict} makes from the same file, and ONNX Runtime must turn it into predict's probabilities.
     */
    @Test
    void theReadmesPythonGivesWhatPredictGives() throws Exception {
        Path python = Path.of("/usr/bin/python3");
        RequiredTools.assume("onnx", Files.isExecutable(python)
                        && new ProcessBuilder(python.toString(), "-c", "import onnx, numpy, PIL").start().waitFor() == 0,
                "python3-onnx, python3-numpy or python3-pil is not installed");
        String readme = Files.readString(Path.of("README.md"));
        List<String> blocks = new ArrayList<>();
        for (int at = readme.indexOf("```python\n", readme.indexOf("## Export")); at >= 0 && blocks.size() < 2;
             at = readme.indexOf("```python\n", at + 1)) {
            int from = at + "```python\n".length();
            blocks.add(readme.substring(from, readme.indexOf("```", from)));
        }
        assertEquals(2, blocks.size(), "the Export section shows the run and the recipe");
        assertEquals(5, blocks.get(0).lines().count(), "the README promises five lines");
        Path work = Files.createDirectories(dir.resolve("python"));
        Files.copy(export("cpu"), work.resolve("model.onnx"));
        writeOnnxruntimeStandIn(work.resolve("stub"));
        List<Path> sources = new ArrayList<>();
        for (Film f : realFilms(3)) sources.add(Path.of(f.name()));
        if (sources.isEmpty()) {
            sources.add(work.resolve("phantom.png"));
            org.pneumoscope.synth.ImageFiles.writePng(films.get(0).image(), sources.get(0));
        }
        try (Classifier loaded = Classifier.load(run("cpu"))) {
            Classifier c = loaded.withTta(false);
            for (Path source : sources) {
                Path film = Files.copy(source, work.resolve("chest.jpeg"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                float[] fed = runPython(python, blocks.get(1) + "\n" + blocks.get(0), work);
                Film f = Film.read(film);
                float[] want = inputs(c.recipe(), List.of(f));
                assertEquals(want.length, fed.length, "the snippet's tensor has the recipe's shape");
                double worstInput = 0, worst = 0;
                for (int i = 0; i < want.length; i++) worstInput = Math.max(worstInput, Math.abs(want[i] - fed[i]));
                float[] p0 = c.predict(f).probabilities(), p1 = runOrt(work.resolve("model.onnx"), fed, c.recipe())[1][0];
                for (int k = 0; k < Label.COUNT; k++) worst = Math.max(worst, Math.abs(p0[k] - p1[k]));
                System.out.printf(Locale.ROOT, "README's Python on %s: max |input diff| %.2e, max |p diff| %.2e%n",
                        source.getFileName(), worstInput, worst);
                assertTrue(worst <= 1e-4, source + ": the snippet's probabilities differ from predict's by " + worst);
            }
        }
    }

    /** An {@code onnxruntime} module that reads the metadata with onnx and writes the fed tensor to feed.bin. */
    static void writeOnnxruntimeStandIn(Path stub) throws IOException {
        Path pkg = Files.createDirectories(stub.resolve("onnxruntime"));
        Files.writeString(pkg.resolve("__init__.py"), String.join("\n",
                "import numpy as np, onnx",
                "class _Meta:",
                "    def __init__(self, m): self.custom_metadata_map = {p.key: p.value for p in m.metadata_props}",
                "class InferenceSession:",
                "    def __init__(self, path): self._m = onnx.load(path)",
                "    def get_modelmeta(self): return _Meta(self._m)",
                "    def run(self, names, feeds):",
                "        x = feeds['input']",
                "        assert x.dtype == np.float32 and names == ['probabilities'], (x.dtype, names)",
                "        x.astype('<f4').tofile('feed.bin')",
                "        return [np.zeros((x.shape[0], 3), np.float32)]", ""));
    }

    /** Runs {@code code} in {@code work} with the stand-in on the path; returns the tensor it fed. */
    static float[] runPython(Path python, String code, Path work) throws Exception {
        Files.deleteIfExists(work.resolve("feed.bin"));
        ProcessBuilder pb = new ProcessBuilder(python.toString(), "-c", code).directory(work.toFile()).redirectErrorStream(true);
        pb.environment().put("PYTHONPATH", work.resolve("stub").toString());
        Process p = pb.start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertTrue(p.waitFor(120, TimeUnit.SECONDS));
        assertEquals(0, p.exitValue(), "the README's Python failed:\n" + out);
        assertTrue(out.contains("'bacteria'") && out.contains("'normal'"), "it prints the classes: " + out);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(work.resolve("feed.bin"))).order(java.nio.ByteOrder.LITTLE_ENDIAN);
        float[] fed = new float[b.remaining() / 4];
        b.asFloatBuffer().get(fed);
        return fed;
    }

    @Test
    void theCommandWritesOnceAndNeverOverwritesUnlessForced() throws Exception {
        Path run = run("tiny"), out = dir.resolve("cli").resolve("model.onnx");
        CliRun first = CliRun.of("export", "--run", run.toString(), "--format", "onnx", "--out", out.toString());
        assertEquals(0, first.code(), first.all());
        assertTrue(Files.size(out) > 100_000 && Files.isRegularFile(OnnxExport.sidecarOf(out)), first.all());
        byte[] before = Files.readAllBytes(out);
        CliRun again = CliRun.of("export", "--run", run.toString(), "--out", out.toString());
        assertEquals(2, again.code());
        assertTrue(again.err().contains("already exists"), again.err());
        assertEquals(HexFormat.of().formatHex(before), HexFormat.of().formatHex(Files.readAllBytes(out)), "the first export is untouched");
        assertEquals(0, CliRun.of("export", "--run", run.toString(), "--out", out.toString(), "--force").code());
        CliRun profile = CliRun.of("export", "--run", run.toString(), "--profile", "site-b", "--out", dir.resolve("p.onnx").toString());
        assertEquals(1, profile.code());
        assertTrue(profile.err().contains("has no site profile 'site-b'"), profile.err());
        CliRun torch = CliRun.of("export", "--run", run.toString(), "--format", "torchscript", "--out", dir.resolve("x.pt").toString());
        assertEquals(2, torch.code());
        assertTrue(torch.err().contains("--format must be onnx"), torch.err());
        try (Stream<Path> left = Files.list(out.getParent())) {
            assertEquals(List.of("model.onnx", "model.onnx.json"), left.map(p -> p.getFileName().toString()).sorted().toList(),
                    "no temporary files are left behind");
        }
    }

    @Test
    void theCommandSaysWhenTheRecipeSoftensFilms() throws Exception {
        Path plain = run("tiny");
        CliRun quiet = CliRun.of("export", "--run", plain.toString(), "--out", dir.resolve("plain.onnx").toString());
        assertEquals(0, quiet.code(), quiet.all());
        assertTrue(!quiet.out().contains("softens"), quiet.out());
        Path soft = TinyRun.make(dir.resolve("run-soft"), Map.of("contrast", "equalize"), true);
        Map<String, Object> card = org.pneumoscope.train.RunFolder.JSON.readValue(soft.resolve("model.json").toFile(), Map.class);
        @SuppressWarnings("unchecked") Map<String, Object> input = (Map<String, Object>) card.get("input");
        input.put("detail", 6.0);
        org.pneumoscope.train.RunFolder.JSON.writeValue(soft.resolve("model.json").toFile(), card);
        CliRun said = CliRun.of("export", "--run", soft.toString(), "--out", dir.resolve("soft.onnx").toString());
        assertEquals(0, said.code(), said.all());
        assertTrue(said.out().contains("softens every film to detail 6.00"), said.out());
    }
}
