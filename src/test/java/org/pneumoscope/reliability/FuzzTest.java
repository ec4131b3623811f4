package org.pneumoscope.reliability;

import org.junit.jupiter.api.Test;
import org.pneumoscope.bench.FuzzRunner;
import org.pneumoscope.bench.Mutator;
import org.pneumoscope.data.ImageFormat;

import java.io.IOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The decoder against a seeded mutation fuzzer: every damaged input decodes or is refused with a DecodeException
 * whose reason quotes nothing from the file, within 5 s and without a runaway allocation. Failing inputs land in
 * target/fuzz-failures/; the ones found so far are kept in src/test/resources/fuzz-regressions/.
 */
class FuzzTest {
    /** -Dpneumoscope.fuzz.cases=N runs a longer campaign (the default keeps the test well under a minute). */
    static final int CASES = Integer.getInteger("pneumoscope.fuzz.cases", 3000);
    static final long SEED = Long.getLong("pneumoscope.fuzz.seed", 20261127L);

    @Test
    void threeThousandMutatedImagesDecodeOrAreRefusedCleanly() throws Exception {
        List<FuzzRunner.Seed> seeds = Fuzzer.seeds();
        FuzzRunner.Options o = FuzzRunner.Options.of(SEED, CASES).withFailureDir(Fuzzer.failureDir()).withSecrets(Fuzzer.secrets());
        FuzzRunner.Report r = new FuzzRunner().run(seeds, o, null);
        System.out.printf("fuzz: %d cases over %d seeds in %.1f s: %d decoded, %d refused %s; slowest %.0f ms; max alloc %.1f MB; "
                        + "failures %d; library exceptions turned into refusals %s%n",
                r.cases(), seeds.size(), r.seconds(), r.decoded(), r.refusedTotal(), r.refused(), r.slowestMillis(),
                r.maxAllocatedBytes() / 1048576.0, r.failures().size(), r.javaErrorsInReasons());
        assertEquals(CASES, r.cases());
        assertTrue(r.failures().isEmpty(), "decoder contract broken (inputs saved under " + Fuzzer.failureDir() + "):\n"
                + String.join("\n", r.failures().stream().limit(10).map(Object::toString).toList()));
        // the mutations must exercise both outcomes, or the fuzzer is not reaching the decoders
        assertTrue(r.decoded() > CASES / 20, "too few mutants still decode: " + r.decoded());
        assertTrue(r.refusedTotal() > CASES / 2, "too few mutants refused: " + r.refusedTotal());
        for (Mutator.Op op : Mutator.Op.values()) assertTrue(r.ops().getOrDefault(op, 0) > CASES / 20, "mutation " + op + " rarely used");
        // a library's exception on damaged data is tolerated (clean message, counted); one from our code is a bug
        assertTrue(r.masked().isEmpty(), "refusals decided by a caught Java exception in Pneumoscope's code: "
                + r.javaErrorsInReasons() + "\n" + String.join("\n", r.masked().stream().map(Object::toString).toList()));
    }

    @Test
    void casesAreReproducibleFromSeedAndIndex() throws Exception {
        List<FuzzRunner.Seed> seeds = Fuzzer.seeds();
        for (int i : new int[]{0, 7, 1234}) {
            byte[] a = FuzzRunner.mutant(seeds, SEED, i).bytes(), b = FuzzRunner.mutant(seeds, SEED, i).bytes();
            assertArrayEquals(a, b, "case " + i);
        }
        assertFalse(Arrays.equals(FuzzRunner.mutant(seeds, SEED, 5).bytes(), FuzzRunner.mutant(seeds, SEED + 1, 5).bytes()));
    }

    @Test
    void headerMutationsHitTheFieldsTheyName() throws Exception {
        byte[] png = Fuzzer.seeds().stream().filter(s -> ImageFormat.sniff(s.bytes()) == ImageFormat.PNG).findFirst().orElseThrow().bytes();
        Random rng = new Random(3);
        int widths = 0;
        for (int i = 0; i < 200; i++) {
            Mutator.Mutant m = Mutator.apply(png, Mutator.Op.HEADER_FIELD, rng);
            assertEquals(png.length, m.bytes().length, "a field edit keeps the length");
            if (m.description().startsWith("PNG IHDR width=")) {
                long w = Long.parseLong(m.description().replaceAll("PNG IHDR width=(\\d+).*", "$1"));
                long got = (m.bytes()[16] & 0xffL) << 24 | (m.bytes()[17] & 0xffL) << 16 | (m.bytes()[18] & 0xffL) << 8 | (m.bytes()[19] & 0xffL);
                assertEquals(w, got);
                widths++;
            }
        }
        assertTrue(widths > 5);
        Mutator.Mutant cut = Mutator.apply(png, Mutator.Op.TRUNCATE, new Random(1));
        assertTrue(cut.bytes().length < png.length);
    }

    /** Inputs that once broke the contract (see the file names); each must now pass it. */
    @Test
    void savedRegressionsPass() throws Exception {
        List<Path> files = regressions();
        assertFalse(files.isEmpty(), "src/test/resources/fuzz-regressions/ holds the inputs found so far");
        FuzzRunner runner = new FuzzRunner();
        FuzzRunner.Options o = FuzzRunner.Options.of(SEED, 1).withSecrets(Fuzzer.secrets());
        for (Path f : files) {
            FuzzRunner.Verdict v = runner.check(Files.readAllBytes(f), f.getFileName().toString(), o);
            assertTrue(v.ok(), f.getFileName() + ": " + v.problem());
            if (v.refusal() != null)
                assertFalse(v.refusal().reason().matches(".*(Exception|Error\\b|out of bounds).*"),
                        "a user-facing reason, not a stack trace: " + v.refusal().reason());
        }
    }

    static List<Path> regressions() throws IOException, URISyntaxException {
        var url = FuzzTest.class.getResource("/fuzz-regressions");
        if (url == null) return List.of();
        try (Stream<Path> s = Files.list(Path.of(url.toURI()))) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
