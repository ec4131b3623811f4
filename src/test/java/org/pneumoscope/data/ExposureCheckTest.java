package org.pneumoscope.data;

import org.junit.jupiter.api.Test;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;

import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class ExposureCheckTest {
    @Test
    void aucIsTheMannWhitneyStatisticWithTiesCountingHalf() {
        assertEquals(1.0, ExposureCheck.auc(List.of(1.0, 2.0, 3.0), List.of(0.0, 0.5)), 1e-12);
        assertEquals(0.0, ExposureCheck.auc(List.of(0.0), List.of(1.0, 2.0)), 1e-12);
        assertEquals(0.5, ExposureCheck.auc(List.of(1.0), List.of(1.0)), 1e-12);
        assertEquals(0.5, ExposureCheck.auc(List.of(1.0, 3.0), List.of(2.0)), 1e-12);
        // of the 4 pairs 3 won and 1 tied (1 against 1): (3 + 0.5) / 4
        assertEquals(0.875, ExposureCheck.auc(List.of(1.0, 2.0), List.of(1.0, 0.5)), 1e-12);
        // the same pairs seen from the other side: 1 - 0.875
        assertEquals(0.125, ExposureCheck.auc(List.of(1.0, 0.5), List.of(1.0, 2.0)), 1e-12);
        assertTrue(Double.isNaN(ExposureCheck.auc(List.of(), List.of(1.0))));
    }

    @Test
    void statisticsOfAKnownImage() {
        byte[] p = new byte[100];
        for (int i = 0; i < 100; i++) p[i] = (byte) i;
        double[] s = ExposureCheck.statistics(new GreyImage(10, 10, p));
        assertEquals(49.5, s[0], 1e-12);
        assertEquals(Math.sqrt((100 * 100 - 1) / 12.0), s[1], 1e-9);
        assertEquals(4, s[2], 0, "5 % of 100 pixels are 0..4");
        assertEquals(94, s[3], 0);
    }

    @Test
    void classMeansAndSeparabilityInEitherDirection() {
        // normal films darker (mean 40) than pneumonia (60..61); bacteria and virus identical apart from order
        double[][] stats = {
                {40, 10, 0, 80}, {41, 10, 0, 80}, null,
                {60, 10, 0, 80}, {61, 10, 0, 80},
                {60, 10, 0, 80}, {61, 10, 0, 80}};
        Label[] labels = {Label.NORMAL, Label.NORMAL, Label.NORMAL, Label.BACTERIA, Label.BACTERIA, Label.VIRUS, Label.VIRUS};
        ExposureCheck x = ExposureCheck.of(stats, labels);
        assertEquals(6, x.images(), "the image that did not decode is left out");
        assertArrayEquals(new double[] {40.5, 10, 0, 80}, x.classMeans().get(Label.NORMAL), 1e-12);
        assertArrayEquals(new double[] {60.5, 10, 0, 80}, x.classMeans().get(Label.VIRUS), 1e-12);
        double[] nvp = x.separability().get("normal_vs_pneumonia");
        assertEquals(1.0, nvp[0], 1e-12, "darker = normal separates perfectly, though the raw AUC is 0");
        assertEquals(0.5, nvp[1], 1e-12);
        assertEquals(0.5, x.separability().get("bacteria_vs_virus")[0], 1e-12);
        assertEquals("mean, normal_vs_pneumonia", x.strongest());
        assertEquals(1.0, x.strongestAuc(), 1e-12);
        assertFalse(x.warns(), "two images a class: a perfect AUC is easily chance");
    }

    @Test
    void aMissingClassGivesNoFigureAndNoWarning() {
        double[][] stats = new double[40][];
        Label[] labels = new Label[40];
        for (int i = 0; i < 40; i++) {
            stats[i] = new double[] {i < 20 ? 10 : 90, 1, 1, 1};
            labels[i] = i < 20 ? Label.NORMAL : Label.BACTERIA;
        }
        ExposureCheck x = ExposureCheck.of(stats, labels);
        assertTrue(Double.isNaN(x.separability().get("bacteria_vs_virus")[0]), "no viral images");
        assertEquals(1.0, x.separability().get("normal_vs_pneumonia")[0], 1e-12);
        assertFalse(x.warns(), "the check needs all three classes");
    }
}
