package org.pneumoscope.data;

import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.core.UnsupportedFormatException;

import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.ComponentSampleModel;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.EOFException;
import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.spi.IIORegistry;
import javax.imageio.spi.ImageReaderSpi;
import javax.imageio.stream.ImageInputStream;

/**
 * Turns any supported image file into 8-bit grey pixels: JPEG (incl. CMYK/YCCK and broken ICC profiles, through
 * TwelveMonkeys), PNG (8/16-bit, palette, alpha), TIFF, BMP, GIF (first frame) and DICOM ({@link DicomReader}).
 *
 * <p>The format is sniffed from the first bytes, never taken from the extension. Dimensions are read from the
 * header and checked against {@link #MAX_SIDE} and {@link #MAX_PIXELS} before any pixel memory is allocated, so
 * a 100-byte PNG claiming 60000x60000 pixels is refused in microseconds.
 *
 * <p>Grey conversion: colour becomes luma with ITU-R BT.601 weights (0.299, 0.587, 0.114, as PIL's "L" mode, so
 * a Python pipeline sees the same values); alpha is composited over black (the letterbox padding colour);
 * 16-bit images are mapped linearly from the image's own min..max to 0..255 (16-bit PNG/TIFF exports carry no
 * window, and their useful range is often 10-12 bits, so a fixed >>8 shift would give near-black images);
 * images with fewer than 8 bits per sample are scaled to the full 0..255 range.
 *
 * <p>All methods are thread-safe: each call uses its own ImageIO reader.
 */
public final class ImageDecoder {
    private ImageDecoder() {}

    /** Largest accepted width or height. */
    public static final int MAX_SIDE = 16384;
    /** Largest accepted pixel count (100 megapixels). */
    public static final long MAX_PIXELS = 100_000_000L;
    /** Largest accepted file. */
    public static final long MAX_FILE_BYTES = 1L << 30;

    static {
        ImageIO.setUseCache(false); // never spill decode buffers to temp files
    }

    /** Reads and decodes one file. */
    public static GreyImage decode(Path file) throws DecodeException {
        return decode(readBytes(file), file.toString());
    }

    /**
     * Reads a file's bytes with the checks every caller needs (folder, empty, huge, unreadable), so the
     * caller can hash the same bytes it decodes.
     */
    public static byte[] readBytes(Path file) throws DecodeException {
        String name = file.toString();
        try {
            BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class); // one stat for both checks
            if (attrs.isDirectory())
                throw new DecodeException(name, DecodeException.Kind.NOT_AN_IMAGE, "is a folder, not an image file");
            checkFileSize(name, attrs.size());
            return Files.readAllBytes(file);
        } catch (DecodeException e) {
            throw e;
        } catch (NoSuchFileException e) {
            throw new DecodeException(name, DecodeException.Kind.UNREADABLE, "file not found");
        } catch (AccessDeniedException e) {
            throw new DecodeException(name, DecodeException.Kind.UNREADABLE, "cannot read: permission denied");
        } catch (IOException e) {
            throw new DecodeException(name, DecodeException.Kind.UNREADABLE,
                    "cannot read: " + (e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage()));
        } catch (OutOfMemoryError e) {
            throw new DecodeException(name, DecodeException.Kind.TOO_LARGE, "not enough memory to read this file");
        }
    }

    /**
     * Refuses an empty file and one over {@link #MAX_FILE_BYTES} from its size alone, before its bytes are read (also
     * for a caller that lists files elsewhere, e.g. on a distributed file system).
     */
    public static void checkFileSize(String name, long size) throws DecodeException {
        if (size == 0) throw new DecodeException(name, DecodeException.Kind.EMPTY, "empty file (0 bytes)");
        if (size > MAX_FILE_BYTES)
            throw new DecodeException(name, DecodeException.Kind.TOO_LARGE,
                    "file too large (" + (size >> 20) + " MiB; limit " + (MAX_FILE_BYTES >> 20) + " MiB)");
    }

    /** Decodes image bytes; {@code nameForMessages} is only used in exception messages. */
    public static GreyImage decode(byte[] bytes, String nameForMessages) throws DecodeException {
        String name = nameForMessages;
        int n = bytes.length;
        if (n == 0) throw new DecodeException(name, DecodeException.Kind.EMPTY, "empty file (0 bytes)");
        ImageFormat fmt = ImageFormat.sniff(bytes);
        switch (fmt) {
            case UNKNOWN: {
                ImageFormat cut = ImageFormat.truncatedSignature(bytes, n);
                if (cut != ImageFormat.UNKNOWN)
                    throw new DecodeException(name, DecodeException.Kind.TRUNCATED,
                            "truncated " + cut.displayName() + ": the file ends after " + n + " bytes, inside its header");
                throw new DecodeException(name, DecodeException.Kind.NOT_AN_IMAGE, ImageFormat.describeNonImage(bytes, n));
            }
            case DICOM:
                return DicomReader.read(bytes, name);
            case JPEG2000: case WEBP: case HEIF: case JPEGXL: case PNM:
                throw new UnsupportedFormatException(name, "unsupported image format " + fmt.displayName()
                        + " (convert to PNG, JPEG or DICOM)");
            default:
                return toGrey(readWithImageIO(bytes, fmt, name));
        }
    }

    /** Refuses absurd sizes; called with header values, before pixels are allocated. */
    static void checkDimensions(long width, long height, String name) throws DecodeException {
        if (width <= 0 || height <= 0)
            throw new DecodeException(name, DecodeException.Kind.CORRUPT,
                    "header claims an empty image (" + width + "x" + height + " pixels)");
        if (width > MAX_SIDE || height > MAX_SIDE || width * height > MAX_PIXELS)
            throw new DecodeException(name, DecodeException.Kind.TOO_LARGE,
                    "image too large: header claims " + width + "x" + height + " pixels (limit " + MAX_SIDE
                            + " per side and " + MAX_PIXELS / 1_000_000 + " megapixels); refused before decoding");
    }

    /** Largest working memory one decode may take, whatever the heap (a 100-megapixel grey image needs about 200 MB). */
    public static final long MAX_DECODE_BYTES = 1L << 30;

    /**
     * Refuses an image whose decoding would take more memory than this process can spare, before any pixel is
     * read: a small file can legally claim 100 megapixels of 16-bit RGBA, which decodes to gigabytes. The estimate
     * counts the decoded raster, the grey conversion's work arrays and the result; the budget is half the heap
     * (capped at {@link #MAX_DECODE_BYTES}), so one upload can never starve the other requests of a server.
     */
    static void checkMemory(int w, int h, ImageReader reader, String name) throws DecodeException {
        int bands = 4, bits = 32;
        try {
            javax.imageio.ImageTypeSpecifier t = reader.getRawImageType(0);
            if (t == null) {
                Iterator<javax.imageio.ImageTypeSpecifier> it = reader.getImageTypes(0);
                if (it != null && it.hasNext()) t = it.next();
            }
            if (t != null) {
                bands = t.getSampleModel().getNumBands();
                bits = 0;
                for (int b : t.getSampleModel().getSampleSize()) bits += b;
            }
        } catch (IOException | RuntimeException e) {
            // the header is damaged: decoding will say so; estimate as RGBA
        }
        long pixels = (long) w * h;
        long raster = pixels * ((bits + 7) / 8);
        long work = bands == 1 && bits <= 8 ? 0 : pixels * 4L * (Math.min(bands, 4) + 1); // int[] per channel + luma
        long need = raster + work + pixels;
        long budget = Math.min(MAX_DECODE_BYTES, Runtime.getRuntime().maxMemory() / 2);
        if (need > budget)
            throw new DecodeException(name, DecodeException.Kind.TOO_LARGE, String.format(Locale.ROOT,
                    "image too large to decode safely: %dx%d pixels with %d bits per pixel need about %d MB; the limit "
                            + "for one image in this process is %d MB; refused before decoding", w, h, bits,
                    need >> 20, budget >> 20));
    }

    /**
     * Decodes the first image with ImageIO after checking the header's dimensions. Readers are tried in order
     * (for JPEG the JDK's, which is several times faster on plain grey JPEGs, then TwelveMonkeys', which handles
     * CMYK/YCCK, broken ICC profiles and other files the JDK refuses); the last failure is reported.
     */
    static BufferedImage readWithImageIO(byte[] bytes, ImageFormat fmt, String name) throws DecodeException {
        List<ImageReaderSpi> spis = readersFor(fmt);
        if (fmt == ImageFormat.JPEG && !plainJpeg(bytes)) {
            // CMYK/YCCK, Adobe or ICC-tagged JPEGs: the JDK reader may "succeed" with wrong colours.
            List<ImageReaderSpi> reordered = new ArrayList<>(spis);
            reordered.sort(java.util.Comparator.comparing(s -> s.getClass().getName().startsWith("com.sun.")));
            spis = reordered;
        }
        if (spis.isEmpty())
            throw new UnsupportedFormatException(name, "no " + fmt.displayName() + " decoder available in this Java runtime");
        Throwable last = null;
        for (ImageReaderSpi spi : spis) {
            ImageReader reader;
            try {
                reader = borrowReader(spi);
            } catch (IOException e) {
                last = e;
                continue;
            }
            boolean clean = false;
            List<String> warnings = new ArrayList<>();
            try (ImageInputStream in = new ByteArrayImageInputStream(bytes)) {
                reader.setInput(in, true, true);
                reader.addIIOReadWarningListener((src, msg) -> warnings.add(msg == null ? "" : msg));
                int w = reader.getWidth(0), h = reader.getHeight(0);
                checkDimensions(w, h, name);
                checkMemory(w, h, reader, name);
                BufferedImage img = reader.read(0, null);
                clean = true;
                if (fmt == ImageFormat.JPEG) {
                    for (String wmsg : warnings) {
                        String m = wmsg.toLowerCase(Locale.ROOT);
                        if (m.contains("premature end") || m.contains("end of file") || m.contains("truncated"))
                            throw new DecodeException(name, DecodeException.Kind.TRUNCATED,
                                    "truncated JPEG: the image data ends early (the lower part would be grey)");
                    }
                }
                return img;
            } catch (DecodeException e) {
                throw e;
            } catch (IOException | RuntimeException e) {
                last = e;
            } catch (OutOfMemoryError e) {
                throw new DecodeException(name, DecodeException.Kind.TOO_LARGE, "not enough memory to decode this image");
            } finally {
                returnReader(spi, reader, clean);
            }
        }
        throw classify(last, bytes, fmt, name);
    }

    /**
     * True for JPEGs the JDK reader decodes correctly: one component (grey), or three without an Adobe (APP14)
     * or ICC (APP2) segment. Scans the marker segments up to the first frame header.
     */
    static boolean plainJpeg(byte[] b) {
        boolean adobe = false, icc = false;
        int p = 2;
        while (p + 4 <= b.length) {
            if ((b[p] & 0xff) != 0xFF) return false;
            int marker = b[p + 1] & 0xff;
            if (marker == 0xFF) { p++; continue; } // fill byte
            int len = (b[p + 2] & 0xff) << 8 | (b[p + 3] & 0xff);
            if (marker == 0xEE && len >= 7 && p + 9 <= b.length && b[p + 4] == 'A' && b[p + 5] == 'd' && b[p + 6] == 'o')
                adobe = true;
            if (marker == 0xE2 && len >= 14 && p + 15 <= b.length && b[p + 4] == 'I' && b[p + 5] == 'C' && b[p + 6] == 'C')
                icc = true;
            boolean sof = marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
            if (sof) {
                if (p + 10 > b.length) return false;
                int components = b[p + 9] & 0xff;
                return components == 1 || (components == 3 && !adobe && !icc);
            }
            if (marker == 0xDA) return false;
            p += 2 + len;
        }
        return false;
    }

    /**
     * One reader per thread and format, reused: creating a JPEG reader allocates native decoder state, which costs
     * about a fifth of decoding a 224x224 image. A reader that failed is disposed, never reused.
     */
    private static final ThreadLocal<Map<ImageReaderSpi, ImageReader>> IDLE_READERS =
            ThreadLocal.withInitial(java.util.HashMap::new);

    private static ImageReader borrowReader(ImageReaderSpi spi) throws IOException {
        ImageReader r = IDLE_READERS.get().remove(spi);
        return r != null ? r : spi.createReaderInstance();
    }

    private static void returnReader(ImageReaderSpi spi, ImageReader r, boolean clean) {
        if (clean) {
            try {
                r.reset(); // drops the input and the listeners
                IDLE_READERS.get().put(spi, r);
                return;
            } catch (RuntimeException e) {
                // fall through: dispose
            }
        }
        r.dispose();
    }

    private static final Map<ImageFormat, List<ImageReaderSpi>> READERS = new ConcurrentHashMap<>();

    /** The registered readers for a format, the JDK's own first (see {@link #readWithImageIO}). */
    private static List<ImageReaderSpi> readersFor(ImageFormat fmt) {
        return READERS.computeIfAbsent(fmt, f -> {
            List<ImageReaderSpi> jdk = new ArrayList<>(), other = new ArrayList<>();
            Iterator<ImageReaderSpi> it = IIORegistry.getDefaultInstance().getServiceProviders(ImageReaderSpi.class, true);
            while (it.hasNext()) {
                ImageReaderSpi spi = it.next();
                boolean match = false;
                for (String n : spi.getFormatNames()) match |= n.equalsIgnoreCase(f.imageIoName());
                if (!match) continue;
                (spi.getClass().getName().startsWith("com.sun.") ? jdk : other).add(spi);
            }
            jdk.addAll(other);
            return List.copyOf(jdk);
        });
    }

    /** Turns a reader's exception into a specific reason: truncated when the data stops early, else corrupt. */
    private static DecodeException classify(Throwable e, byte[] bytes, ImageFormat fmt, String name) {
        String fmtName = fmt.displayName();
        boolean eof = false;
        for (Throwable t = e; t != null; t = t.getCause()) {
            String m = t.getMessage() == null ? "" : t.getMessage().toLowerCase(Locale.ROOT);
            if (t instanceof EOFException || m.contains("premature end") || m.contains("unexpected end")
                    || m.contains("end of stream") || m.contains("end of file") || m.contains("eof")
                    || m.contains("truncated")) eof = true;
            if (t.getCause() == t) break;
        }
        if (eof || !looksComplete(bytes, fmt))
            return new DecodeException(name, DecodeException.Kind.TRUNCATED,
                    "truncated " + fmtName + ": the data ends before the image is complete", e);
        if (e instanceof RuntimeException)
            // A decoder library tripped over damaged data (e.g. an index out of a Huffman table's bounds). Its own
            // message means nothing to a user; the exception stays attached as the cause for the log.
            return new DecodeException(name, DecodeException.Kind.CORRUPT, "corrupt " + fmtName
                    + " data (damaged tables or segments: the decoder could not make sense of them)", e);
        String msg = e.getMessage();
        if (msg == null || msg.isBlank()) msg = e.getClass().getSimpleName();
        msg = msg.lines().findFirst().orElse("").trim();
        if (msg.length() > 160) msg = msg.substring(0, 160) + "...";
        if (e instanceof IIOException && msg.toLowerCase(Locale.ROOT).contains("unsupported"))
            return new UnsupportedFormatException(name, "unsupported " + fmtName + " variant (" + msg + ")");
        return new DecodeException(name, DecodeException.Kind.CORRUPT, "corrupt " + fmtName + " data (" + msg + ")", e);
    }

    /** Whether the container's end marker is present (JPEG EOI, PNG IEND, GIF trailer). */
    private static boolean looksComplete(byte[] b, ImageFormat fmt) {
        int e = b.length - 1;
        switch (fmt) {
            case JPEG: {
                while (e > 1 && (b[e] == 0 || b[e] == '\n' || b[e] == '\r' || b[e] == ' ')) e--;
                // Cameras append data after EOI; look for it anywhere in the last 64 KiB.
                for (int i = e; i > 0 && i > e - 65536; i--)
                    if ((b[i] & 0xff) == 0xD9 && (b[i - 1] & 0xff) == 0xFF) return true;
                return false;
            }
            case PNG: {
                for (int i = b.length - 8; i >= 8 && i > b.length - 4096; i--)
                    if (b[i] == 'I' && b[i + 1] == 'E' && b[i + 2] == 'N' && b[i + 3] == 'D') return true;
                return false;
            }
            case GIF:
                return b[e] == 0x3B;
            default:
                return true;
        }
    }

    /** Luma of an RGB triple with BT.601 weights and PIL's integer rounding. */
    public static int luma(int r, int g, int b) {
        return (r * 19595 + g * 38470 + b * 7471 + 0x8000) >> 16;
    }

    /** Converts any BufferedImage to 8-bit grey (see the class comment for the rules). */
    public static GreyImage toGrey(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        Raster r = img.getRaster();
        ColorModel cm = img.getColorModel();
        int csType = cm.getColorSpace().getType();
        byte[] out = new byte[w * h];

        if (cm instanceof IndexColorModel) {
            IndexColorModel icm = (IndexColorModel) cm;
            int size = icm.getMapSize();
            int[] grey = new int[Math.max(size, 1 << icm.getPixelSize())];
            for (int i = 0; i < size; i++) {
                int argb = icm.getRGB(i);
                int l = luma(argb >> 16 & 0xff, argb >> 8 & 0xff, argb & 0xff);
                grey[i] = l * (argb >>> 24) / 255;
            }
            int[] row = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(r.getMinX(), r.getMinY() + y, w, 1, 0, row);
                for (int x = 0; x < w; x++) {
                    int i = row[x];
                    out[y * w + x] = (byte) (i >= 0 && i < grey.length ? grey[i] : 0);
                }
            }
            return new GreyImage(w, h, out);
        }

        boolean alpha = cm.hasAlpha() && !cm.isAlphaPremultiplied();
        if (csType == ColorSpace.TYPE_GRAY && r.getNumBands() >= 1) {
            int bits = cm.getComponentSize(0);
            if (bits == 8 && !alpha && r.getNumBands() == 1 && fastGrey8(img, out)) return new GreyImage(w, h, out);
            int[] v = channel(r, 0, w, h);
            if (alpha) composite(v, channel(r, r.getNumBands() - 1, w, h), (1 << cm.getComponentSize(cm.getNumComponents() - 1)) - 1);
            return new GreyImage(w, h, toBytes(v, bits));
        }
        if (csType == ColorSpace.TYPE_RGB && r.getNumBands() >= 3) {
            int bits = Math.max(cm.getComponentSize(0), Math.max(cm.getComponentSize(1), cm.getComponentSize(2)));
            int[] red = channel(r, 0, w, h), green = channel(r, 1, w, h), blue = channel(r, 2, w, h);
            int[] v = new int[w * h];
            if (bits <= 8) {
                int rs = cm.getComponentSize(0), gs = cm.getComponentSize(1), bs = cm.getComponentSize(2);
                for (int i = 0; i < v.length; i++)
                    v[i] = luma(scale8(red[i], rs), scale8(green[i], gs), scale8(blue[i], bs));
                bits = 8;
            } else {
                for (int i = 0; i < v.length; i++)
                    v[i] = (int) ((red[i] * 19595L + green[i] * 38470L + blue[i] * 7471L + 0x8000) >> 16);
            }
            if (alpha) composite(v, channel(r, 3, w, h), (1 << cm.getComponentSize(3)) - 1);
            return new GreyImage(w, h, toBytes(v, bits));
        }
        // Anything else (CMYK left unconverted, Lab, YCbCr TIFF): let the colour model convert to sRGB.
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
            img.getRGB(0, y, w, 1, row, 0, w);
            for (int x = 0; x < w; x++) {
                int argb = row[x];
                int l = luma(argb >> 16 & 0xff, argb >> 8 & 0xff, argb & 0xff);
                out[y * w + x] = (byte) (alpha ? l * (argb >>> 24) / 255 : l);
            }
        }
        return new GreyImage(w, h, out);
    }

    /** Copies an 8-bit single-band byte raster row by row (the common grey JPEG/PNG case). */
    private static boolean fastGrey8(BufferedImage img, byte[] out) {
        Raster r = img.getRaster();
        if (!(r.getDataBuffer() instanceof DataBufferByte) || !(r.getSampleModel() instanceof ComponentSampleModel))
            return false;
        ComponentSampleModel sm = (ComponentSampleModel) r.getSampleModel();
        if (sm.getPixelStride() != 1 || sm.getNumBands() != 1) return false;
        DataBufferByte db = (DataBufferByte) r.getDataBuffer();
        byte[] data = db.getData(sm.getBankIndices()[0]);
        int w = img.getWidth(), h = img.getHeight();
        int base = db.getOffsets()[sm.getBankIndices()[0]]
                + sm.getOffset(r.getMinX() - r.getSampleModelTranslateX(), r.getMinY() - r.getSampleModelTranslateY());
        int stride = sm.getScanlineStride();
        for (int y = 0; y < h; y++) System.arraycopy(data, base + y * stride, out, y * w, w);
        return true;
    }

    private static int[] channel(Raster r, int band, int w, int h) {
        return r.getSamples(r.getMinX(), r.getMinY(), w, h, band, (int[]) null);
    }

    private static int scale8(int v, int bits) {
        if (bits == 8) return v;
        int max = (1 << bits) - 1;
        return (v * 255 + max / 2) / max;
    }

    private static void composite(int[] v, int[] a, int aMax) {
        if (aMax <= 0) return;
        for (int i = 0; i < v.length; i++) v[i] = (int) ((long) v[i] * a[i] / aMax);
    }

    /** 8 bits: as is; fewer: scaled to 0..255; more: the image's min..max mapped linearly to 0..255. */
    private static byte[] toBytes(int[] v, int bits) {
        byte[] out = new byte[v.length];
        if (bits == 8) {
            for (int i = 0; i < v.length; i++) out[i] = (byte) v[i];
        } else if (bits < 8) {
            for (int i = 0; i < v.length; i++) out[i] = (byte) scale8(v[i], bits);
        } else {
            int lo = Integer.MAX_VALUE, hi = Integer.MIN_VALUE;
            for (int x : v) {
                if (x < lo) lo = x;
                if (x > hi) hi = x;
            }
            if (hi == lo) {
                int c = (int) Math.min(255, (long) lo * 255 / ((1L << bits) - 1));
                java.util.Arrays.fill(out, (byte) c);
            } else {
                double k = 255.0 / (hi - lo);
                for (int i = 0; i < v.length; i++) out[i] = (byte) (int) Math.round((v[i] - lo) * k);
            }
        }
        return out;
    }
}
