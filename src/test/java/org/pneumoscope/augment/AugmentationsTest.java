package org.pneumoscope.augment;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;

import static org.junit.jupiter.api.Assertions.*;

class AugmentationsTest {

    static final String SEED_YAML = String.join("\n",
            "augment:",
            "  - {name: HorizontalFlip, p: 0.5}",
            "  - {name: OneOf, p: 0.3, transforms: [{name: RandomGamma, params: {gamma_limit: [80, 120]}}]}",
            "  - name: OneOf",
            "    p: 0.5",
            "    transforms:",
            "      - {name: Blur, params: {blur_limit: 4}}",
            "      - {name: MotionBlur, params: {blur_limit: 4}}",
            "  - name: OneOf",
            "    p: 0.3",
            "    transforms:",
            "      - {name: ElasticTransform, params: {alpha: 60, sigma: 9, alpha_affine: 1.8}}",
            "      - {name: GridDistortion}",
            "      - {name: OpticalDistortion, params: {distort_limit: 0.3, shift_limit: 0.1}}",
            "  - {name: ShiftScaleRotate, p: 0.3, params: {shift_limit: 0.2, scale_limit: 0.1, rotate_limit: 20}}");

    @Test
    void seedRecipeWrittenAsYamlIsTheSamePipeline() {
        Transform fromYaml = Augmentations.fromYaml(SEED_YAML);
        assertEquals(Augmentations.seedRecipe(), fromYaml);
        FloatImage img = TestImages.phantom(64);
        for (int s = 0; s < 10; s++)
            assertArrayEquals(Augmentations.seedRecipe().apply(img, new Random(s)).pixels(), fromYaml.apply(img, new Random(s)).pixels());
    }

    @Test
    void seedRecipeHasTheStudysStructure() {
        Compose c = (Compose) Augmentations.seedRecipe();
        assertEquals(5, c.steps().size());
        assertEquals(Maybe.of(0.5, new HorizontalFlip()), c.steps().get(0));
        assertEquals(0.3, ((OneOf) c.steps().get(1)).p());
        assertEquals(2, ((OneOf) c.steps().get(2)).options().size());
        assertEquals(List.of(ElasticTransform.of(60, 9, 1.8), new GridDistortion(5, 0.3), new OpticalDistortion(0.3, 0.1)),
                ((OneOf) c.steps().get(3)).options());
        assertEquals(Maybe.of(0.3, new ShiftScaleRotate(0.2, 0.1, 20)), c.steps().get(4));
    }

    @Test
    void namedRecipesAndErrors() {
        for (String n : Augmentations.NAMES) assertNotNull(Augmentations.named(n));
        assertEquals(Augmentations.seedRecipe(), Augmentations.from("SEED"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Augmentations.named("wild"));
        assertTrue(e.getMessage().contains("wild") && e.getMessage().contains("seed"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> Augmentations.fromSpec(List.of(Map.of("name", "Blur", "params", Map.of("blur_limt", 3)))));
        assertTrue(e.getMessage().contains("blur_limt"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Augmentations.fromSpec(List.of(Map.of("name", "Posterize"))));
        assertTrue(e.getMessage().contains("Posterize") && e.getMessage().contains("step 1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Augmentations.fromSpec(List.of(Map.of("name", "HorizontalFlip", "p", 1.5))));
        assertThrows(IllegalArgumentException.class, () -> Augmentations.fromSpec(List.of(Map.of("name", "OneOf"))));
    }

    @Test
    void specDefaultsAndAliases() {
        Transform t = Augmentations.fromSpec(List.of(Map.of("name", "ssr", "params", Map.of("rotate_limit", 10))));
        assertEquals(new ShiftScaleRotate(0.0625, 0.1, 10), t);
        assertEquals(Maybe.of(0.25, new HorizontalFlip()), Augmentations.fromSpec(List.of(Map.of("name", "flip", "p", 0.25))));
    }

    @Test
    void augmenterIsReproducibleWhateverTheThreadOrder() {
        FloatImage img = TestImages.phantom(64);
        Augmenter aug = new Augmenter(Augmentations.seedRecipe(), 77);
        List<float[]> sequential = new ArrayList<>();
        for (int i = 0; i < 24; i++) sequential.add(aug.apply(img, 3, i).pixels());
        float[][] parallel = new float[24][];
        // Reverse order on several threads: each sample still gets its own stream.
        IntStream.range(0, 24).parallel().map(i -> 23 - i).forEach(i -> parallel[i] = aug.apply(img, 3, i).pixels());
        for (int i = 0; i < 24; i++) assertArrayEquals(sequential.get(i), parallel[i], "sample " + i);
        int differs = 0;
        for (int i = 0; i < 24; i++) if (!Arrays.equals(aug.apply(img, 4, i).pixels(), sequential.get(i))) differs++;
        assertTrue(differs > 12, "another epoch should augment differently: " + differs);
        assertNotEquals(Augmenter.mix(1, 0, 1), Augmenter.mix(1, 1, 0));
        assertNotEquals(Augmenter.mix(1, 0, 0), Augmenter.mix(2, 0, 0));
    }

    @Test
    void traceNamesWhatFired() {
        FloatImage img = TestImages.phantom(64);
        Transform t = Compose.of(new HorizontalFlip(), Maybe.of(0, Blur.of(4)), new ShiftScaleRotate(0.1, 0.1, 10));
        Trace.Traced<FloatImage> r = Trace.capture(() -> t.apply(img, new Random(1)));
        assertEquals(2, r.fired().size(), r.fired().toString());
        assertEquals("flip", r.fired().get(0));
        assertTrue(r.fired().get(1).startsWith("ssr"), r.fired().toString());
    }
}
