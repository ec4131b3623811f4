package org.pneumoscope.core;

import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/**
 * The process's memory as the kernel sees it (/proc/self/status), which counts PyTorch's native tensors
 * as well as the Java heap. Where /proc is absent (macOS, Windows) every figure is -1.
 */
public final class ProcessMemory {
    private ProcessMemory() {}

    private static final Path STATUS = Path.of("/proc/self/status");

    /**
     * One reading. {@code nativeMb} is RSS minus the committed heap: PyTorch's tensors and allocator cache, the
     * JVM's own native memory (metaspace, threads, code cache) and NIO direct buffers ({@code directMb}, which
     * DJL allocates for every array created from a Java array and which are freed only when the GC collects
     * them); -1 where RSS is unknown.
     */
    public record Sample(long rssMb, long heapUsedMb, long heapCommittedMb, long directMb) {
        public long nativeMb() { return rssMb < 0 ? -1 : rssMb - heapCommittedMb; }
    }

    /** Current resident set size in MB; -1 where unavailable. */
    public static long rssMb() { return status("VmRSS:"); }

    /** Peak resident set size ("high water mark") of the process so far in MB; -1 where unavailable. */
    public static long peakRssMb() { return status("VmHWM:"); }

    public static Sample sample() {
        Runtime rt = Runtime.getRuntime();
        long committed = rt.totalMemory() >> 20;
        return new Sample(rssMb(), committed - (rt.freeMemory() >> 20), committed, directMb());
    }

    /** Memory held by live NIO direct buffers, in MB. */
    public static long directMb() {
        for (BufferPoolMXBean b : ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class))
            if (b.getName().equals("direct")) return b.getMemoryUsed() >> 20;
        return -1;
    }

    /** "1234 MB", or "n/a" where the figure is unknown. */
    public static String mb(long mb) { return mb < 0 ? "n/a" : String.format(Locale.ROOT, "%d MB", mb); }

    /** For JSON: the figure, or null where unknown. */
    public static Long orNull(long mb) { return mb < 0 ? null : mb; }

    private static long status(String key) {
        try {
            for (String line : Files.readAllLines(STATUS)) {
                if (line.startsWith(key)) return Long.parseLong(line.replaceAll("[^0-9]", "")) / 1024;
            }
        } catch (IOException | RuntimeException e) {
            return -1;
        }
        return -1;
    }
}
