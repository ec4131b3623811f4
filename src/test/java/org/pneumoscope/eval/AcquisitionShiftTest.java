package org.pneumoscope.eval;

import org.junit.jupiter.api.Test;
import org.pneumoscope.cli.UserException;
import org.pneumoscope.data.GreyImage;

import static org.junit.jupiter.api.Assertions.*;

class AcquisitionShiftTest {
    static int map(AcquisitionShift s, int v) {
        return s.apply(new GreyImage(1, 1, new byte[] {(byte) v})).pixels()[0] & 0xff;
    }

    @Test
    void parsesAnySubsetAndDescribesItselfInTheSameSpelling() {
        AcquisitionShift s = AcquisitionShift.parse(" contrast=0.7 , gamma=1.5");
        assertEquals(new AcquisitionShift(1.5, 0.7, 0), s);
        assertEquals("gamma=1.5,contrast=0.7,brightness=0", s.describe());
        assertEquals(s, AcquisitionShift.parse(s.describe()));
        assertTrue(AcquisitionShift.parse(null).isNone());
        assertEquals("none", AcquisitionShift.parse("").describe());
    }

    @Test
    void badSpellingsAreRefusedByName() {
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("gama=2")).getMessage().contains("unknown key 'gama'"));
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("gamma=x")).getMessage().contains("gamma has a bad value 'x'"));
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("gamma")).getMessage().contains("must look like"));
        assertTrue(assertThrows(UserException.class, () -> AcquisitionShift.parse("gamma=0")).getMessage().contains("gamma must be"));
    }

    @Test
    void mapsGreyLevelsAsDocumented() {
        AcquisitionShift none = AcquisitionShift.NONE;
        for (int v = 0; v < 256; v += 17) assertEquals(v, map(none, v));
        AcquisitionShift dark = new AcquisitionShift(2, 1, 0);
        assertEquals(64, map(dark, 128)); // 255 * (128/255)^2 = 64.25
        assertEquals(0, map(dark, 0));
        assertEquals(255, map(dark, 255));
        AcquisitionShift flat = new AcquisitionShift(1, 0.5, 0);
        assertEquals(64, map(flat, 0)); // 128 - 64
        assertEquals(192, map(flat, 255)); // 128 + 63.5, rounded
        assertEquals(255, map(new AcquisitionShift(1, 1, 0.5), 200), "clipped at white");
        assertEquals(0, map(new AcquisitionShift(1, 1, -0.5), 100), "clipped at black");
    }
}
