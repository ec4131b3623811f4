package org.pneumoscope.data;
import org.junit.jupiter.api.Test;
import java.nio.file.*;
import java.util.*;
import javax.imageio.*;
import com.twelvemonkeys.imageio.stream.ByteArrayImageInputStream;
public class ScratchTest {
  @Test void explore() throws Exception {
    DatasetScan s = DatasetReader.read(Path.of("../shared/data/kermany224"));
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < 600; i++) files.add(s.samples().get(i * 8).file());
    List<byte[]> bytes = new ArrayList<>();
    for (Path f : files) bytes.add(Files.readAllBytes(f));
    for (int round = 0; round < 3; round++) {
      long t = System.nanoTime();
      for (Path f : files) Files.readAllBytes(f);
      long t1 = System.nanoTime();
      for (byte[] b : bytes) ImageDecoder.decode(b, "x");
      long t2 = System.nanoTime();
      for (byte[] b : bytes) ImageIO.read(new java.io.ByteArrayInputStream(b));
      long t3 = System.nanoTime();
      for (byte[] b : bytes) { Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg"); ImageReader r = it.next(); r.dispose(); }
      long t4 = System.nanoTime();
      // JDK reader explicitly
      for (byte[] b : bytes) {
        Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg");
        ImageReader r = null; while (it.hasNext()) { ImageReader x = it.next(); if (x.getClass().getName().startsWith("com.sun")) r = x; else x.dispose(); }
        try (var in = new ByteArrayImageInputStream(b)) { r.setInput(in, true, true); r.read(0); } r.dispose();
      }
      long t5 = System.nanoTime();
      for (byte[] b : bytes) {
        ImageReader r = ImageIO.getImageReadersByFormatName("jpeg").next();
        try (var in = new ByteArrayImageInputStream(b)) { r.setInput(in, true, true); r.read(0); } r.dispose();
      }
      long t6 = System.nanoTime();
      int n = files.size();
      System.out.printf("read %.0f/s  ourdecode %.0f/s  ImageIO.read(bytes) %.0f/s  lookup %.0f/s  jdkreader %.0f/s  tmreader %.0f/s%n",
        n/((t1-t)/1e9), n/((t2-t1)/1e9), n/((t3-t2)/1e9), n/((t4-t3)/1e9), n/((t5-t4)/1e9), n/((t6-t5)/1e9));
    }
    Iterator<ImageReader> it = ImageIO.getImageReadersByFormatName("jpeg"); while (it.hasNext()) System.out.println(it.next().getClass());
  }
}
