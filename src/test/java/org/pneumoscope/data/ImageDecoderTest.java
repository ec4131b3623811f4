package org.pneumoscope.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.UnsupportedFormatException;

import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.*;

class ImageDecoderTest {

    static double meanAbsDiff(GreyImage a, GreyImage b) {
        assertEquals(a.width(), b.width());
        assertEquals(a.height(), b.height());
        long s = 0;
        for (int i = 0; i < a.pixels().length; i++) s += Math.abs((a.pixels()[i] & 0xff) - (b.pixels()[i] & 0xff));
        return s / (double) a.pixels().length;
    }

    @Test
    void pngRoundTripIsExactAndJpegIsClose() throws Exception {
        GreyImage src = TestImages.chest(120, 90, 1);
        assertArrayEquals(src.pixels(), ImageDecoder.decode(TestImages.png(src), "a.png").pixels());
        GreyImage j = ImageDecoder.decode(TestImages.jpeg(src), "a.jpg");
        assertEquals(120, j.width());
        assertEquals(90, j.height());
        assertTrue(meanAbsDiff(src, j) < 4, "JPEG at quality 95 stays close: " + meanAbsDiff(src, j));
    }

    @Test
    void formatComesFromTheBytesNotTheName(@TempDir Path tmp) throws Exception {
        GreyImage src = TestImages.chest(40, 30, 2);
        Path misnamed = TestImages.write(tmp.resolve("really-a-png.jpg"), TestImages.png(src));
        assertArrayEquals(src.pixels(), ImageDecoder.decode(misnamed).pixels());
        Path bmp = TestImages.write(tmp.resolve("scan.dcm"), TestImages.encode(TestImages.toBuffered(src), "bmp"));
        assertArrayEquals(src.pixels(), ImageDecoder.decode(bmp).pixels());
        Path tif = TestImages.write(tmp.resolve("scan.png"), TestImages.encode(TestImages.toBuffered(src), "tiff"));
        assertArrayEquals(src.pixels(), ImageDecoder.decode(tif).pixels());
        assertEquals(ImageFormat.TIFF, ImageFormat.sniff(TestImages.encode(TestImages.toBuffered(src), "tiff")));
    }

    @Test
    void sixteenBitIsStretchedFromItsOwnMinToMax() throws Exception {
        GreyImage g = ImageDecoder.decode(TestImages.png16(101, 3, 1000, 4000), "ramp16.png");
        assertEquals(0, g.get(0, 1));
        assertEquals(255, g.get(100, 1));
        assertEquals(128, g.get(50, 1), 1); // linear in between
        for (int x = 1; x < 101; x++) assertTrue(g.get(x, 0) >= g.get(x - 1, 0), "monotonic");
    }

    @Test
    void paletteColourAndAlphaBecomeLuma() throws Exception {
        GreyImage pal = ImageDecoder.decode(TestImages.palettePng(20, 4), "pal.png");
        assertEquals(ImageDecoder.luma(255, 0, 0), pal.get(0, 0)); // pure red: 76 as PIL's "L"
        assertEquals(76, pal.get(0, 0));
        assertEquals(255, pal.get(19, 3));
        GreyImage rgba = ImageDecoder.decode(TestImages.rgbaPng(20, 4), "rgba.png");
        assertEquals(255, rgba.get(0, 0));
        assertEquals(0, rgba.get(19, 0)); // transparent: composited over black
    }

    @Test
    void colourJpegUsesBt601Luma() throws Exception {
        BufferedImage bi = new BufferedImage(32, 32, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < 32; y++) for (int x = 0; x < 32; x++) bi.setRGB(x, y, 0x00FF00);
        GreyImage g = ImageDecoder.decode(TestImages.encode(bi, "png"), "green.png");
        assertEquals(150, g.get(5, 5)); // 0.587 * 255
    }

    @Test
    void animatedGifGivesTheFirstFrame() throws Exception {
        GreyImage g = ImageDecoder.decode(TestImages.animatedGif(20, 10), "anim.gif");
        assertEquals(20, g.width());
        assertTrue(g.get(3, 3) > 180, "first frame is light grey, the second black: " + g.get(3, 3));
    }

    @Test
    void cmykAndBrokenIccJpegsDecode() throws Exception {
        GreyImage cmyk = ImageDecoder.decode(TestImages.cmykJpeg(32, 24, 128), "cmyk.jpg");
        assertEquals(127, cmyk.get(10, 10), 4, "50% black ink is mid grey");
        GreyImage icc = ImageDecoder.decode(TestImages.brokenIccJpeg(64, 48), "icc.jpg");
        assertEquals(0x40, icc.get(5, 20), 4);
        assertEquals(0xC0, icc.get(60, 20), 4);
    }

    @Test
    void emptyTextHtmlAndUnsupportedFormatsHaveSpecificReasons() {
        DecodeException e = assertThrows(DecodeException.class, () -> ImageDecoder.decode(new byte[0], "e.jpg"));
        assertEquals(DecodeException.Kind.EMPTY, e.kind());
        assertEquals("e.jpg: empty file (0 bytes)", e.getMessage());

        e = assertThrows(DecodeException.class, () -> ImageDecoder.decode("hello there\n".getBytes(StandardCharsets.UTF_8), "t.jpg"));
        assertEquals(DecodeException.Kind.NOT_AN_IMAGE, e.kind());
        assertTrue(e.reason().contains("plain text"));
        e = assertThrows(DecodeException.class, () -> ImageDecoder.decode("%PDF-1.7\n%...".getBytes(StandardCharsets.ISO_8859_1), "p.jpg"));
        assertTrue(e.reason().contains("PDF"));

        byte[] webp = "RIFF\0\0\0\0WEBPVP8 ".getBytes(StandardCharsets.ISO_8859_1);
        e = assertThrows(UnsupportedFormatException.class, () -> ImageDecoder.decode(webp, "w.jpg"));
        assertEquals(DecodeException.Kind.UNSUPPORTED, e.kind());
        assertTrue(e.reason().contains("WebP"));
        e = assertThrows(UnsupportedFormatException.class,
                () -> ImageDecoder.decode("P5\n2 2\n255\n\0\1\2\3".getBytes(StandardCharsets.ISO_8859_1), "x.pgm"));
        assertTrue(e.reason().contains("PNM/PGM"));
        byte[] j2k = {(byte) 0xFF, 0x4F, (byte) 0xFF, 0x51, 0, 0, 0, 0};
        e = assertThrows(UnsupportedFormatException.class, () -> ImageDecoder.decode(j2k, "x.jp2"));
        assertTrue(e.reason().contains("JPEG 2000"));
    }

    @Test
    void missingFileAndFolderAreNamed(@TempDir Path tmp) {
        DecodeException e = assertThrows(DecodeException.class, () -> ImageDecoder.decode(tmp.resolve("nope.jpg")));
        assertEquals(DecodeException.Kind.UNREADABLE, e.kind());
        assertTrue(e.getMessage().startsWith(tmp.resolve("nope.jpg") + ": "));
        e = assertThrows(DecodeException.class, () -> ImageDecoder.decode(tmp));
        assertTrue(e.reason().contains("folder"));
    }

    @Test
    void sameResultFromManyThreads() throws Exception {
        byte[] jpeg = TestImages.jpeg(TestImages.chest(200, 160, 3));
        GreyImage ref = ImageDecoder.decode(jpeg, "ref");
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<GreyImage>> fs = new ArrayList<>();
            for (int i = 0; i < 40; i++) fs.add(pool.submit(() -> ImageDecoder.decode(jpeg, "x")));
            for (Future<GreyImage> f : fs) assertArrayEquals(ref.pixels(), f.get().pixels());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void readersReusedAfterFailuresGiveTheSameResults() throws Exception {
        byte[] good = TestImages.jpeg(TestImages.chest(90, 70, 5));
        byte[] png = TestImages.png(TestImages.chest(50, 40, 6));
        GreyImage refJpeg = ImageDecoder.decode(good, "g.jpg"), refPng = ImageDecoder.decode(png, "g.png");
        List<byte[]> bad = List.of(TestImages.cut(good, good.length / 2), TestImages.cut(good, 300),
                TestImages.cmykJpeg(20, 20, 50), TestImages.cut(png, png.length / 2), TestImages.jpegClaiming(60000, 60000));
        for (int round = 0; round < 3; round++)
            for (byte[] b : bad) {
                try {
                    ImageDecoder.decode(b, "bad");
                } catch (DecodeException expected) {
                    // the point is what follows
                }
                assertArrayEquals(refJpeg.pixels(), ImageDecoder.decode(good, "g.jpg").pixels());
                assertArrayEquals(refPng.pixels(), ImageDecoder.decode(png, "g.png").pixels());
            }
    }

    @Test
    void realKermanyJpegsDecodeTo224Grey() throws Exception {
        Path shared = Path.of(System.getProperty("pneumoscope.shared", "../shared"), "data", "kermany224");
        org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.isDirectory(shared),
                "real data not present at " + shared + "; skipping");
        DatasetScan scan = DatasetReader.read(shared);
        for (int i = 0; i < 5; i++) {
            Sample s = scan.samples().get(i * scan.samples().size() / 5);
            GreyImage g = ImageDecoder.decode(s.file());
            assertEquals(224, g.width());
            assertEquals(224, g.height());
            BufferedImage plain = javax.imageio.ImageIO.read(s.file().toFile());
            int[] ref = plain.getRaster().getSamples(0, 0, 224, 224, 0, (int[]) null);
            for (int k = 0; k < ref.length; k += 97) assertEquals(ref[k], g.pixels()[k] & 0xff, "same pixels as ImageIO");
        }
    }
}
