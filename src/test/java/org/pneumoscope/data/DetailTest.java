package org.pneumoscope.data;

import org.junit.jupiter.api.Test;
import org.pneumoscope.core.GreyImage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Measuring fine detail, and softening a film to a level of it. */
class DetailTest {
    @Test
    void theLevelIsTheMeanAbsoluteLaplacian() {
        // a ramp has no Laplacian; a checkerboard of ±a has |8a| at every interior pixel
        assertEquals(0, Detail.level(TexturedFilms.film(0)), 1e-12);
        assertEquals(8 * 7, Detail.level(TexturedFilms.film(7)), 1e-12);
        assertEquals(0, Detail.level(new GreyImage(2, 2, new byte[4])), "no interior pixel");
    }

    @Test
    void aSharpFilmIsSoftenedToJustBelowTheTarget() {
        GreyImage film = TestImages.chest(128, 128, 3);
        double own = Detail.level(film), target = own / 2;
        GreyImage soft = Detail.soften(film, target);
        double level = Detail.level(soft);
        assertTrue(level <= target && level > 0.9 * target, "level " + level + " for target " + target + " (own " + own + ")");
        assertEquals(128, soft.width());
        assertEquals(128, soft.height());
        long before = sum(film), after = sum(soft);
        assertEquals(before, after, 0.01 * before, "a blur keeps the mean grey level");
    }

    @Test
    void aFilmAtOrBelowTheTargetIsLeftAlone() {
        GreyImage film = TestImages.chest(96, 96, 4);
        double own = Detail.level(film);
        assertSame(film, Detail.soften(film, own));
        assertSame(film, Detail.soften(film, own * 3));
        assertSame(film, Detail.soften(film, 0), "a target of 0 keeps every film's own detail");
    }

    @Test
    void softeningIsDeterministicAndLowersTheLevelMonotonically() {
        GreyImage film = TestImages.chest(128, 128, 5);
        double own = Detail.level(film);
        assertArrayEquals(Detail.soften(film, own / 3).pixels(), Detail.soften(film, own / 3).pixels());
        assertTrue(Detail.level(Detail.soften(film, own / 3)) < Detail.level(Detail.soften(film, own / 1.5)));
    }

    @Test
    void aFilmThatNoBlurCanBringDownKeepsTheWidestBlur() {
        GreyImage film = TexturedFilms.film(16);
        GreyImage soft = Detail.soften(film, 1e-6);
        assertTrue(Detail.level(soft) < Detail.level(film), "softened as far as the widest blur goes");
    }

    @Test
    void theTargetIsTheTenthPercentileOfTheTrainingLevels() {
        double[] levels = new double[100];
        for (int i = 0; i < 100; i++) levels[99 - i] = i + 1;
        assertEquals(10, Detail.target(levels));
        assertEquals(3, Detail.target(new double[]{Double.NaN, 3, 5, 9}), "films that did not decode are left out");
        assertEquals(0, Detail.target(new double[0]));
    }

    @Test
    void aRecipeSoftensInItsGreyStepAndStoresItsLevel() {
        InputRecipe keep = InputRecipe.of(128, ResizeMode.SQUASH, Contrast.EQUALIZE, 1);
        InputRecipe match = keep.withDetail(6.5);
        GreyImage film = TestImages.chest(128, 128, 6);
        assertTrue(Detail.level(keep.grey(film)) > 6.5);
        assertTrue(Detail.level(match.grey(film)) <= 6.5);
        assertEquals(match, InputRecipe.fromMap(match.toMap()));
        java.util.Map<String, Object> old = new java.util.LinkedHashMap<>(keep.toMap());
        old.remove("detail");
        assertEquals(keep, InputRecipe.fromMap(old), "a model stored before the field keeps every film's own detail");
        assertThrows(IllegalArgumentException.class, () -> keep.withDetail(-1));
    }

    private static long sum(GreyImage g) {
        long s = 0;
        for (byte b : g.pixels()) s += b & 0xff;
        return s;
    }
}
