package org.pneumoscope.model;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * A network's running statistics copied out, moved relative to a reference, written back, and stored in a file of
 * their own.
 */
class BatchNormStatisticsTest {
    @TempDir Path dir;

    private static XrayNet net(double width) {
        return XrayNet.build(ModelSpec.of(Arch.RESNET18, 1, 64, Head.LINEAR).withWidth(width));
    }

    @Test
    void holdsEveryRunningMeanAndVarianceByName() {
        try (XrayNet n = net(0.25)) {
            List<BatchNormStatistics.Entry> e = BatchNormStatistics.of(n).entries();
            long means = e.stream().filter(x -> !x.variance()).count(), vars = e.stream().filter(BatchNormStatistics.Entry::variance).count();
            assertEquals(20, means, "a ResNet-18 has 20 BatchNorms");
            assertEquals(means, vars);
            assertTrue(e.stream().anyMatch(x -> x.name().equals("layer3.1.bn2.running_var") && x.variance()));
        }
    }

    @Test
    void movesMeansByTheDifferenceAndVariancesByTheRatio() {
        BatchNormStatistics stored = stats(new float[] {1, -2}, new float[] {4, 0.5f});
        BatchNormStatistics reference = stats(new float[] {0.5f, 0}, new float[] {2, 1});
        BatchNormStatistics site = stats(new float[] {1.5f, -1}, new float[] {3, 0.25f});
        var moved = stored.movedBy(reference, site).entries();
        assertArrayEquals(new float[] {2, -3}, moved.get(0).values(), 1e-6f);
        assertArrayEquals(new float[] {6, 0.125f}, moved.get(1).values(), 1e-5f); // ε = 1e-5 added as BatchNorm does
        // films like the reference leave the statistics where they were
        var same = stored.movedBy(reference, reference).entries();
        assertArrayEquals(stored.entries().get(0).values(), same.get(0).values(), 0f);
        assertArrayEquals(stored.entries().get(1).values(), same.get(1).values(), 1e-6f);
        // a channel constant on the reference films gives a finite variance, not an infinite one
        BatchNormStatistics flat = stats(new float[] {0, 0}, new float[] {0, 1});
        assertTrue(Float.isFinite(stored.movedBy(flat, site).entries().get(1).values()[0]));
    }

    @Test
    void appliesToTheNetworkAndRefusesAnotherLayout() {
        try (XrayNet a = net(0.25); XrayNet wide = net(0.5)) {
            BatchNormStatistics s = BatchNormStatistics.of(a);
            BatchNormStatistics.Entry first = s.entries().get(0);
            float[] v = first.values().clone();
            v[0] = 7.5f;
            List<BatchNormStatistics.Entry> changed = new java.util.ArrayList<>(s.entries());
            changed.set(0, new BatchNormStatistics.Entry(first.name(), first.variance(), v));
            new BatchNormStatistics(changed).applyTo(a);
            assertEquals(7.5f, a.namedParameters().get(first.name()).getArray().toFloatArray()[0]);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.applyTo(wide));
            assertTrue(e.getMessage().contains("do not match"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> s.movedBy(BatchNormStatistics.of(wide), s));
        }
    }

    @Test
    void takesTheNamedLayersFromAnotherSetAndKnowsEachParametersStage() {
        try (XrayNet n = net(0.25)) {
            assertEquals(List.of("stem", "layer1", "layer2", "layer3", "layer4"), n.stages());
            for (String name : n.namedParameters().keySet())
                assertTrue(n.stages().contains(XrayNet.stageOf(name)) || XrayNet.stageOf(name).equals("head"), name);
        }
        assertEquals("stem", XrayNet.stageOf("bn1.running_mean"));
        assertEquals("stem", XrayNet.stageOf("conv1.weight"));
        assertEquals("layer2", XrayNet.stageOf("layer2.0.downsample.1.running_var"));
        assertEquals("head", XrayNet.stageOf("fc.bias"));
        assertEquals("head", XrayNet.stageOf("head.bn0.running_mean"));
        BatchNormStatistics a = stats(new float[] {1, 2}, new float[] {3, 4});
        BatchNormStatistics b = stats(new float[] {5, 6}, new float[] {7, 8});
        var mixed = a.withEntriesOf(b, name -> name.endsWith("_var")).entries();
        assertArrayEquals(new float[] {1, 2}, mixed.get(0).values());
        assertArrayEquals(new float[] {7, 8}, mixed.get(1).values());
    }

    @Test
    void readsBackWhatItWroteAndNamesAFileOfAnotherKind() throws IOException {
        BatchNormStatistics s = stats(new float[] {1, 2, 3}, new float[] {0.1f, 0.2f, 0.3f});
        Path f = dir.resolve("stats.bin");
        s.write(f);
        BatchNormStatistics back = BatchNormStatistics.read(f);
        assertEquals(2, back.entries().size());
        for (int i = 0; i < 2; i++) {
            assertEquals(s.entries().get(i).name(), back.entries().get(i).name());
            assertEquals(s.entries().get(i).variance(), back.entries().get(i).variance());
            assertArrayEquals(s.entries().get(i).values(), back.entries().get(i).values(), 0f);
        }
        Path other = dir.resolve("other.bin");
        Files.writeString(other, "not statistics");
        IOException e = assertThrows(IOException.class, () -> BatchNormStatistics.read(other));
        assertTrue(e.getMessage().contains(other.toString()), e.getMessage());
        Path cut = dir.resolve("cut.bin");
        byte[] whole = Files.readAllBytes(f);
        Files.write(cut, java.util.Arrays.copyOf(whole, whole.length - 5));
        IOException c = assertThrows(IOException.class, () -> BatchNormStatistics.read(cut));
        assertTrue(c.getMessage().contains("cut short"), c.getMessage());
    }

    private static BatchNormStatistics stats(float[] mean, float[] var) {
        return new BatchNormStatistics(List.of(new BatchNormStatistics.Entry("bn1.running_mean", false, mean),
                new BatchNormStatistics.Entry("bn1.running_var", true, var)));
    }
}
