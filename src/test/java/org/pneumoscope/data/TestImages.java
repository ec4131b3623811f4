package org.pneumoscope.data;

import org.pneumoscope.core.GreyImage;

import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Random;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageTypeSpecifier;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.metadata.IIOMetadataNode;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/** Small synthetic images and encoders for tests (no real patient data needed). */
public final class TestImages {
    private TestImages() {}

    /** A chest-like grey picture: dark lungs in a brighter body, with some noise so JPEG has real data. */
    public static GreyImage chest(int w, int h, long seed) {
        Random rng = new Random(seed);
        byte[] p = new byte[w * h];
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                double nx = (x - w / 2.0) / (w / 2.0), ny = (y - h / 2.0) / (h / 2.0);
                double body = nx * nx + ny * ny < 0.9 ? 170 : 20;
                double lungL = sq((nx + 0.4) / 0.3) + sq(ny / 0.6) < 1 ? -90 : 0;
                double lungR = sq((nx - 0.4) / 0.3) + sq(ny / 0.6) < 1 ? -90 : 0;
                double v = body + lungL + lungR + rng.nextGaussian() * 8;
                p[y * w + x] = (byte) Math.max(0, Math.min(255, (int) Math.round(v)));
            }
        return new GreyImage(w, h, p);
    }

    private static double sq(double v) { return v * v; }

    public static BufferedImage toBuffered(GreyImage g) {
        BufferedImage bi = new BufferedImage(g.width(), g.height(), BufferedImage.TYPE_BYTE_GRAY);
        bi.getRaster().setDataElements(0, 0, g.width(), g.height(), g.pixels());
        return bi;
    }

    public static byte[] jpeg(BufferedImage img, float quality) {
        try {
            ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (ImageOutputStream out = new MemoryCacheImageOutputStream(bos)) {
                w.setOutput(out);
                ImageWriteParam p = w.getDefaultWriteParam();
                p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
                p.setCompressionQuality(quality);
                w.write(null, new IIOImage(img, null, null), p);
            } finally {
                w.dispose();
            }
            return bos.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] jpeg(GreyImage g) { return jpeg(toBuffered(g), 0.95f); }

    public static byte[] encode(BufferedImage img, String format) {
        try {
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            if (!ImageIO.write(img, format, bos)) throw new IllegalStateException("no writer for " + format);
            return bos.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    public static byte[] png(GreyImage g) { return encode(toBuffered(g), "png"); }

    /** A 16-bit grey PNG whose values span [lo, hi] as a left-to-right ramp. */
    public static byte[] png16(int w, int h, int lo, int hi) {
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_USHORT_GRAY);
        WritableRaster r = bi.getRaster();
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) r.setSample(x, y, 0, lo + (int) Math.round((hi - lo) * x / (double) (w - 1)));
        return encode(bi, "png");
    }

    /** A palette PNG: left half palette entry 1 (pure red), right half entry 2 (pure white). */
    public static byte[] palettePng(int w, int h) {
        byte[] r = {0, (byte) 255, (byte) 255, 0}, g = {0, 0, (byte) 255, (byte) 255}, b = {0, 0, (byte) 255, 0};
        IndexColorModel icm = new IndexColorModel(2, 4, r, g, b);
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_BINARY, icm);
        WritableRaster ras = bi.getRaster();
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) ras.setSample(x, y, 0, x < w / 2 ? 1 : 2);
        return encode(bi, "png");
    }

    /** An RGB image with alpha: opaque white on the left, fully transparent white on the right. */
    public static byte[] rgbaPng(int w, int h) {
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) bi.setRGB(x, y, x < w / 2 ? 0xFFFFFFFF : 0x00FFFFFF);
        return encode(bi, "png");
    }

    /** A two-frame animated GIF: first frame light grey (200), second black. */
    public static byte[] animatedGif(int w, int h) {
        try {
            ImageWriter writer = ImageIO.getImageWritersByFormatName("gif").next();
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (ImageOutputStream out = new MemoryCacheImageOutputStream(bos)) {
                writer.setOutput(out);
                writer.prepareWriteSequence(null);
                for (int frame = 0; frame < 2; frame++) {
                    BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_INDEXED);
                    int c = frame == 0 ? 0xFFC8C8C8 : 0xFF000000;
                    for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) bi.setRGB(x, y, c);
                    ImageTypeSpecifier spec = ImageTypeSpecifier.createFromRenderedImage(bi);
                    IIOMetadata md = writer.getDefaultImageMetadata(spec, null);
                    String fmt = md.getNativeMetadataFormatName();
                    IIOMetadataNode root = (IIOMetadataNode) md.getAsTree(fmt);
                    IIOMetadataNode gce = new IIOMetadataNode("GraphicControlExtension");
                    gce.setAttribute("disposalMethod", "none");
                    gce.setAttribute("userInputFlag", "FALSE");
                    gce.setAttribute("transparentColorFlag", "FALSE");
                    gce.setAttribute("delayTime", "10");
                    gce.setAttribute("transparentColorIndex", "0");
                    root.appendChild(gce);
                    md.setFromTree(fmt, root);
                    writer.writeToSequence(new IIOImage(bi, null, md), null);
                }
                writer.endWriteSequence();
            } finally {
                writer.dispose();
            }
            return bos.toByteArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * A CMYK JPEG (4 components, Adobe marker), written from a raster with the JDK writer: the standard reader
     * refuses these, TwelveMonkeys converts them. All pixels: C=0 M=0 Y=0 K={@code k}.
     */
    public static byte[] cmykJpeg(int w, int h, int k) {
        try {
            WritableRaster r = Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, w, h, 4, null);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) {
                    // Adobe CMYK JPEGs store inverted values (255 = no ink).
                    r.setSample(x, y, 0, 255);
                    r.setSample(x, y, 1, 255);
                    r.setSample(x, y, 2, 255);
                    r.setSample(x, y, 3, 255 - k);
                }
            ImageWriter writer = ImageIO.getImageWritersByFormatName("jpeg").next();
            ByteArrayOutputStream bos = new ByteArrayOutputStream();
            try (ImageOutputStream out = new MemoryCacheImageOutputStream(bos)) {
                writer.setOutput(out);
                writer.write(null, new IIOImage(r, null, null), writer.getDefaultWriteParam());
            } finally {
                writer.dispose();
            }
            return withAdobeMarker(bos.toByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Inserts an Adobe APP14 marker (transform 0: no colour transform) after SOI, as Photoshop CMYK files have. */
    static byte[] withAdobeMarker(byte[] jpeg) {
        byte[] app14 = {(byte) 0xFF, (byte) 0xEE, 0, 14, 'A', 'd', 'o', 'b', 'e', 0, 100, 0, 0, 0, 0, 0};
        return insertAfterSoi(jpeg, app14, true);
    }

    /** Inserts a segment after SOI (and after a JFIF APP0 when present and {@code afterApp0} is false). */
    static byte[] insertAfterSoi(byte[] jpeg, byte[] segment, boolean stripExistingApp14) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(jpeg, 0, 2);
        out.write(segment, 0, segment.length);
        int p = 2;
        // Copy the rest, dropping existing APP14 segments so there is only one Adobe marker.
        while (p + 4 <= jpeg.length && (jpeg[p] & 0xff) == 0xFF) {
            int marker = jpeg[p + 1] & 0xff;
            if (marker == 0xDA) break;
            int len = (jpeg[p + 2] & 0xff) << 8 | (jpeg[p + 3] & 0xff);
            if (!(stripExistingApp14 && marker == 0xEE)) out.write(jpeg, p, 2 + len);
            p += 2 + len;
        }
        out.write(jpeg, p, jpeg.length - p);
        return out.toByteArray();
    }

    /** A colour JPEG carrying an APP2 ICC_PROFILE segment full of junk. */
    public static byte[] brokenIccJpeg(int w, int h) {
        BufferedImage bi = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        for (int y = 0; y < h; y++) for (int x = 0; x < w; x++) bi.setRGB(x, y, x < w / 2 ? 0x404040 : 0xC0C0C0);
        byte[] jpeg = jpeg(bi, 0.95f);
        byte[] junk = new byte[300];
        new Random(7).nextBytes(junk);
        // A profile header claiming 300 bytes, then garbage.
        junk[0] = 0; junk[1] = 0; junk[2] = 1; junk[3] = 44;
        byte[] id = "ICC_PROFILE\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        int len = 2 + id.length + 2 + junk.length;
        ByteArrayOutputStream seg = new ByteArrayOutputStream();
        seg.write(0xFF);
        seg.write(0xE2);
        seg.write(len >> 8);
        seg.write(len & 0xff);
        seg.write(id, 0, id.length);
        seg.write(1);
        seg.write(1);
        seg.write(junk, 0, junk.length);
        return insertAfterSoi(jpeg, seg.toByteArray(), false);
    }

    /** A PNG whose IHDR claims {@code w}x{@code h} pixels, followed by a tiny IDAT and IEND. */
    public static byte[] pngHeaderOnly(int w, int h) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        byte[] ihdr = java.nio.ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 0)
                .put((byte) 0).put((byte) 0).put((byte) 0).array();
        chunk(out, "IHDR", ihdr);
        chunk(out, "IDAT", new byte[]{0x78, (byte) 0x9c, 0x63, 0, 0, 0, 1, 0, 1});
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) {
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        crc.update(t);
        crc.update(data);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
        out.writeBytes(t);
        out.writeBytes(data);
        out.writeBytes(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }

    /** A valid small JPEG whose SOF header is patched to claim {@code w}x{@code h} pixels. */
    public static byte[] jpegClaiming(int w, int h) {
        byte[] j = jpeg(chest(16, 16, 3)).clone();
        for (int p = 2; p + 9 < j.length; ) {
            int marker = j[p + 1] & 0xff;
            int len = (j[p + 2] & 0xff) << 8 | (j[p + 3] & 0xff);
            if (marker >= 0xC0 && marker <= 0xC3) {
                j[p + 5] = (byte) (h >> 8);
                j[p + 6] = (byte) h;
                j[p + 7] = (byte) (w >> 8);
                j[p + 8] = (byte) w;
                return j;
            }
            p += 2 + len;
        }
        throw new IllegalStateException("no SOF marker");
    }

    public static byte[] cut(byte[] b, int n) {
        return java.util.Arrays.copyOf(b, Math.min(n, b.length));
    }

    public static Path write(Path file, byte[] bytes) {
        try {
            Files.createDirectories(file.toAbsolutePath().getParent());
            return Files.write(file, bytes);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
