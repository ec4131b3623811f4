package org.pneumoscope.pipeline;

import org.junit.jupiter.api.Test;
import org.pneumoscope.augment.AcquisitionShift;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.Label;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.data.TextureSplit;
import org.pneumoscope.synth.PhantomGenerator;

import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class NormalRankingsTest {
    @Test
    void theShapeRankingPutsANarrowerChestFirstAtAnySize() {
        GreyImage film = new PhantomGenerator().render(Label.NORMAL, 300, new Random(5)).image();
        double as = NormalRankings.SHAPE.measure().applyAsDouble(film);
        double narrower = NormalRankings.SHAPE.measure().applyAsDouble(AcquisitionShift.parse("squeeze=1.2").apply(film));
        assertTrue(narrower > 1.1 * as, "squeezed 1.2 times narrower: " + as + " -> " + narrower);
        assertTrue(NormalRankings.SHAPE.highFirst());
        GreyImage wide = new PhantomGenerator().render(Label.NORMAL, 224, new Random(5)).image();
        assertEquals(NormalRankings.SHAPE.measure().applyAsDouble(wide),
                NormalRankings.SHAPE.measure().applyAsDouble(org.pneumoscope.data.Preprocess.resize(wide, 448, 224)), 0.15,
                "measured on the 224 square: a film twice as wide squashes back to the same");
    }

    @Test
    void eachRankingStrategyHasItsMeasureAndTheOthersNone() {
        assertSame(TextureSplit.SHARPNESS, NormalRankings.of(SplitStrategy.TEXTURE));
        assertSame(NormalRankings.SHAPE, NormalRankings.of(SplitStrategy.SHAPE));
        assertThrows(IllegalArgumentException.class, () -> NormalRankings.of(SplitStrategy.PATIENT));
    }
}
