package org.pneumoscope.reliability;

import org.pneumoscope.core.DecodeException;
import org.pneumoscope.core.GreyImage;
import org.pneumoscope.data.ImageDecoder;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

/**
 * Run in a child JVM with a small heap ({@code -Xmx512m}) by {@link ReliabilityCorpusTest}: decodes each listed file
 * and prints one line per file, {@code name TAB outcome TAB ms TAB peak-heap-MB}. The list holds
 * {@code expected TAB path} lines, expected being {@code GOOD} or a {@link DecodeException.Kind}. Exits 0 only when
 * every file met its expectation and nothing ran out of memory (the decoder turns an OutOfMemoryError into a
 * "not enough memory" refusal, which counts as a failure here).
 */
public final class DecodeCorpusMain {
    private DecodeCorpusMain() {}

    public static void main(String[] args) throws Exception {
        List<String> lines = Files.readAllLines(Path.of(args[0]), StandardCharsets.UTF_8);
        List<MemoryPoolMXBean> heap = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP).toList();
        int bad = 0;
        for (String line : lines) {
            if (line.isBlank()) continue;
            String[] f = line.split("\t", 2);
            String expected = f[0];
            Path file = Path.of(f[1]);
            System.gc();
            heap.forEach(MemoryPoolMXBean::resetPeakUsage);
            long t0 = System.nanoTime();
            String outcome;
            boolean ok;
            try {
                GreyImage g = ImageDecoder.decode(file);
                outcome = "decoded " + g.width() + "x" + g.height();
                ok = expected.equals("GOOD");
            } catch (DecodeException e) {
                outcome = "refused " + e.kind() + ": " + e.reason();
                ok = expected.equals(e.kind().name()) && !e.reason().contains("not enough memory");
            } catch (Throwable t) {
                outcome = "FAILED " + t;
                ok = false;
            }
            double ms = (System.nanoTime() - t0) / 1e6;
            long peak = 0;
            for (MemoryPoolMXBean p : heap) peak += p.getPeakUsage().getUsed();
            System.out.printf(Locale.ROOT, "%s\t%s%s\t%.1f\t%.1f%n", file.getFileName(), ok ? "" : "UNEXPECTED ", outcome.replace('\t', ' '),
                    ms, peak / 1048576.0);
            if (!ok) bad++;
        }
        System.out.flush();
        System.exit(bad == 0 ? 0 : 3);
    }
}
