package org.pneumoscope.data;

import org.junit.jupiter.api.Test;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.UnsupportedFormatException;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

class DicomReaderTest {
    static final int W = 64, H = 16;

    /** Stored values 0, 64, ..., 4032 across each row (12-bit range). */
    static int[] ramp12() {
        int[] v = new int[W * H];
        for (int i = 0; i < v.length; i++) v[i] = (i % W) * 64;
        return v;
    }

    static GreyImage read(DicomWriter w) throws DecodeException {
        return ImageDecoder.decode(w.toBytes(), "test.dcm");
    }

    @Test
    void sixteenBitWithoutWindowUsesMinMax() throws Exception {
        GreyImage g = read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12));
        assertEquals(W, g.width());
        assertEquals(H, g.height());
        assertEquals(0, g.get(0, 0));
        assertEquals(255, g.get(W - 1, 0));
        for (int x = 1; x < W; x++) assertTrue(g.get(x, 3) > g.get(x - 1, 3));
    }

    @Test
    void bitsAboveBitsStoredAreIgnored() throws Exception {
        int[] dirty = ramp12();
        for (int i = 0; i < dirty.length; i++) dirty[i] |= 0xA000; // overlay garbage in the unused high bits
        assertArrayEquals(read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12)).pixels(),
                read(DicomWriter.grey(W, H, 16, dirty).bitsStored(12)).pixels());
    }

    @Test
    void signedPixelsAreSignExtended() throws Exception {
        int[] v = new int[W * H];
        for (int i = 0; i < v.length; i++) v[i] = ((i % W) - 32) * 50 & 0xFFFF; // -1600 .. 1550 as 16-bit words
        GreyImage g = read(DicomWriter.grey(W, H, 16, v).signed());
        assertEquals(0, g.get(0, 0), "the most negative value is darkest");
        assertEquals(255, g.get(W - 1, 0));
        for (int x = 1; x < W; x++) assertTrue(g.get(x, 0) > g.get(x - 1, 0), "monotonic through zero");
        // 12-bit signed stored in 16 bits: bit 11 is the sign.
        int[] v12 = new int[W * H];
        for (int i = 0; i < v12.length; i++) v12[i] = ((i % W) - 32) * 50 & 0x0FFF;
        GreyImage g12 = read(DicomWriter.grey(W, H, 16, v12).signed().bitsStored(12));
        assertArrayEquals(g.pixels(), g12.pixels());
    }

    @Test
    void eightBitPlainDataIsKeptAsIs() throws Exception {
        int[] v = new int[W * H];
        for (int i = 0; i < v.length; i++) v[i] = 20 + (i % W) * 3;
        GreyImage g = read(DicomWriter.grey(W, H, 8, v));
        for (int i = 0; i < v.length; i++) assertEquals(v[i], g.pixels()[i] & 0xff);
    }

    @Test
    void monochrome1IsInverted() throws Exception {
        GreyImage m2 = read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12));
        GreyImage m1 = read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).monochrome1());
        for (int i = 0; i < m2.pixels().length; i++) assertEquals(255 - (m2.pixels()[i] & 0xff), m1.pixels()[i] & 0xff);
    }

    @Test
    void windowFollowsTheDicomLinearFormula() throws Exception {
        GreyImage g = read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).window(2000, 1001));
        // x <= c - 0.5 - (w-1)/2 = 1499.5 -> 0; x > c - 0.5 + (w-1)/2 = 2499.5 -> 255.
        assertEquals(0, g.get(23, 0));    // 1472
        assertEquals(255, g.get(40, 0));  // 2560
        int x = 2048 / 64;                // 2048: ((2048 - 1999.5) / 1000 + 0.5) * 255 = 139.9
        assertEquals(140, g.get(x, 0));
        // Only the first of several window values counts.
        GreyImage multi = read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).window("2000\\500", "1001\\200"));
        assertArrayEquals(g.pixels(), multi.pixels());
    }

    @Test
    void windowIsInRescaledUnits() throws Exception {
        // Stored 0..4032, HU = stored - 1024; window centre 0 HU, width 2 -> threshold at stored 1024.
        GreyImage g = read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).rescale(1, -1024).window(0, 2));
        assertEquals(0, g.get(15, 0));   // stored 960
        assertEquals(255, g.get(17, 0)); // stored 1088
    }

    @Test
    void sigmoidAndLinearExactWindows() throws Exception {
        GreyImage s = read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).window(2048, 400).voiFunction("SIGMOID"));
        assertEquals(128, s.get(32, 0), 1); // the centre maps to the middle
        assertTrue(s.get(0, 0) < 5 && s.get(W - 1, 0) > 250);
        GreyImage e = read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).window(2048, 1024).voiFunction("LINEAR_EXACT"));
        assertEquals(128, e.get(32, 0), 1);
        assertEquals(64, e.get(28, 0), 1); // 1792: (1792-2048)/1024 + 0.5 = 0.25
    }

    @Test
    void voiLutIsAppliedAndPreferredOverTheWindow() throws Exception {
        int[] lut = new int[4096];
        for (int i = 0; i < lut.length; i++) lut[i] = 4095 - i; // an inverting curve: easy to recognise
        GreyImage g = read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).voiLut(0, 12, lut).window(2000, 10));
        assertEquals(255, g.get(0, 0));
        assertEquals(4095 - 4032, g.get(W - 1, 0) / 255.0 * 4095, 20); // LUT(4032) = 63 of 4095
        assertTrue(g.get(10, 0) > g.get(11, 0), "follows the LUT, not the steep window");
        // Values below the first mapped value clamp to the first entry.
        GreyImage shifted = read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).voiLut(1000, 12, lut));
        assertEquals(shifted.get(0, 0), shifted.get(10, 0));
    }

    @Test
    void allEncodingsGiveTheSameImage() throws Exception {
        byte[] ref = read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).window(2000, 1500)).pixels();
        for (String ts : List.of(DicomWriter.IMPLICIT_LE, DicomWriter.EXPLICIT_BE, DicomWriter.DEFLATED)) {
            assertArrayEquals(ref, read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).window(2000, 1500)
                    .transferSyntax(ts)).pixels(), ts);
        }
        assertArrayEquals(ref, read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).window(2000, 1500).noPreamble()).pixels());
        assertArrayEquals(ref, read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).window(2000, 1500)
                .noMetaHeader().transferSyntax(DicomWriter.IMPLICIT_LE)).pixels(), "bare implicit data set");
        assertArrayEquals(ref, read(DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).window(2000, 1500).noIcon()).pixels());
    }

    @Test
    void encapsulatedJpegBaselineDecodes() throws Exception {
        GreyImage src = TestImages.chest(80, 60, 4);
        GreyImage viaDicom = read(DicomWriter.jpeg(src));
        GreyImage direct = ImageDecoder.decode(TestImages.jpeg(src), "direct.jpg");
        assertArrayEquals(direct.pixels(), viaDicom.pixels());
        GreyImage inverted = read(DicomWriter.jpeg(src).monochrome1());
        assertEquals(255 - direct.get(40, 30), inverted.get(40, 30));
    }

    @Test
    void multiFrameGivesTheFirstFrame() throws Exception {
        GreyImage a = TestImages.chest(40, 30, 1), b = new GreyImage(40, 30, new byte[40 * 30]);
        byte[] ja = TestImages.jpeg(a), jb = TestImages.jpeg(b);
        GreyImage expected = ImageDecoder.decode(ja, "a.jpg");
        DicomWriter two = DicomWriter.jpeg(a).jpegFrames(List.of(ja, jb));
        assertArrayEquals(expected.pixels(), read(two).pixels(), "by the offset table");
        DicomWriter noTable = DicomWriter.jpeg(a).jpegFrames(List.of(ja, jb)).noOffsetTable();
        assertArrayEquals(expected.pixels(), read(noTable).pixels(), "by the JPEG end marker");

        int[] frames = new int[2 * W * H];
        int[] r = ramp12();
        System.arraycopy(r, 0, frames, 0, r.length);
        java.util.Arrays.fill(frames, r.length, frames.length, 4000);
        GreyImage first = read(DicomWriter.grey(W, H, 16, frames).bitsStored(12).frames(2));
        assertArrayEquals(read(DicomWriter.grey(W, H, 16, r).bitsStored(12)).pixels(), first.pixels());
    }

    @Test
    void paddingValueIsBlackAndIgnoredForMinMax() throws Exception {
        int[] v = ramp12();
        for (int i = 0; i < W; i++) v[i] = 0xFFFF & 60000; // first row: padding far above the data
        GreyImage g = read(DicomWriter.grey(W, H, 16, v).padding(60000));
        for (int x = 0; x < W; x++) assertEquals(0, g.get(x, 0));
        assertEquals(255, g.get(W - 1, 5), "the real maximum still maps to white");
    }

    @Test
    void unsupportedTransferSyntaxesAreNamed() {
        byte[] junk = new byte[300];
        new Random(1).nextBytes(junk);
        for (String[] ts : new String[][]{{DicomWriter.JPEG_2000, "JPEG 2000"}, {DicomWriter.JPEG_LS, "JPEG-LS"},
                {DicomWriter.RLE, "RLE"}, {"1.2.840.10008.1.2.4.70", "JPEG Lossless"}}) {
            UnsupportedFormatException e = assertThrows(UnsupportedFormatException.class,
                    () -> read(new DicomWriter().transferSyntax(ts[0]).rawPixels(junk)));
            assertEquals(DecodeException.Kind.UNSUPPORTED, e.kind());
            assertTrue(e.reason().startsWith("unsupported transfer syntax " + ts[1]), e.reason());
            assertTrue(e.reason().contains(ts[0]));
        }
    }

    @Test
    void noPixelDataAndAbsurdSizesAreRefused() {
        DecodeException e = assertThrows(DecodeException.class, () -> read(DicomWriter.grey(W, H, 16, ramp12()).noPixelData()));
        assertEquals(DecodeException.Kind.NOT_AN_IMAGE, e.kind());
        assertTrue(e.reason().contains("no pixel data"));
        // Header claims 60000x60000 with a few bytes of pixels: refused on the header, not as truncated.
        DicomWriter huge = DicomWriter.grey(60000, 60000, 16, new int[0]).rawPixels(new byte[16]);
        e = assertThrows(DecodeException.class, () -> read(huge));
        assertEquals(DecodeException.Kind.TOO_LARGE, e.kind());
        DicomWriter bits32 = DicomWriter.grey(4, 4, 32, new int[0]).rawPixels(new byte[64]);
        e = assertThrows(UnsupportedFormatException.class, () -> read(bits32));
        assertTrue(e.reason().contains("Bits Allocated 32"));
    }

    @Test
    void rgbPixelsBecomeLuma() throws Exception {
        byte[] rgb = new byte[4 * 2 * 3];
        for (int i = 0; i < 8; i++) { rgb[3 * i] = (byte) 255; } // pure red
        GreyImage g = read(DicomWriter.grey(4, 2, 8, new int[0]).samplesPerPixel(3).photometric("RGB").rawPixels(rgb));
        assertEquals(76, g.get(1, 1));
    }

    @Test
    void damagedFilesFailCleanlyAndNeverLeakPatientData() {
        byte[] good = DicomWriter.grey(W, H, 16, ramp12()).bitsStored(12).window(2000, 1000)
                .voiLut(0, 12, new int[4096]).toBytes();
        byte[] jpegDicom = DicomWriter.jpeg(TestImages.chest(40, 30, 9)).toBytes();
        Random rng = new Random(2024);
        int failures = 0;
        for (int round = 0; round < 400; round++) {
            byte[] src = round % 2 == 0 ? good : jpegDicom;
            byte[] b;
            if (round % 3 == 0) b = java.util.Arrays.copyOf(src, 132 + rng.nextInt(src.length - 132));
            else {
                b = src.clone();
                for (int k = 0; k < 1 + rng.nextInt(6); k++) b[132 + rng.nextInt(b.length - 132)] = (byte) rng.nextInt(256);
            }
            try {
                ImageDecoder.decode(b, "fuzz.dcm");
            } catch (DecodeException e) {
                failures++;
                assertTrue(e.getMessage().startsWith("fuzz.dcm: "));
                assertFalse(e.getMessage().contains("Doe") || e.getMessage().contains("Jane")
                        || e.getMessage().contains("SECRET") || e.getMessage().contains("7741"), e.getMessage());
                for (Throwable c = e.getCause(); c != null; c = c.getCause())
                    assertFalse(String.valueOf(c.getMessage()).contains("SECRET"), "cause leaks: " + c);
            }
            // Any other exception type fails the test: damaged files must not crash a long run.
        }
        assertTrue(failures > 50, "the damage was noticed in many cases: " + failures);
    }

    @Test
    void sniffRecognisesPartTenAndBareDataSets() {
        byte[] part10 = DicomWriter.grey(4, 4, 8, new int[16]).toBytes();
        assertEquals(ImageFormat.DICOM, ImageFormat.sniff(part10));
        byte[] bare = DicomWriter.grey(4, 4, 8, new int[16]).noMetaHeader().transferSyntax(DicomWriter.IMPLICIT_LE).toBytes();
        assertEquals(ImageFormat.DICOM, ImageFormat.sniff(bare));
        assertNotEquals(ImageFormat.DICOM, ImageFormat.sniff("\b\0 hello world, this is text".getBytes()));
    }
}
