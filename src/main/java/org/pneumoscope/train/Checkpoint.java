package org.pneumoscope.train;

import ai.djl.MalformedModelException;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.model.XrayNet;

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The resumable state after an epoch: weights (with batch-norm statistics), optimizer moments, EMA,
 * schedule and history. Written atomically, so a kill -9 at any moment leaves the previous epoch's
 * checkpoint intact and at most one epoch is redone.
 */
public final class Checkpoint {
    private Checkpoint() {}

    private static final int MAGIC = 0x50534B32; // "PSK2": PSK1 + where the cosine schedule was last re-planned
    private static final int MAGIC_V1 = 0x50534B31; // "PSK1", still read: runs made before keep resuming

    public record State(int epochsDone, List<Trainer.EpochStats> history, double best, int bestEpoch,
                        int sinceBest, double seconds) {}

    public static void save(Path file, XrayNet net, Optimizer opt, Ema ema, LrSchedule sch, State st) throws IOException {
        AtomicFiles.write(file, raw -> {
            DataOutputStream out = new DataOutputStream(raw);
            out.writeInt(MAGIC);
            out.writeInt(st.epochsDone());
            out.writeDouble(st.best());
            out.writeInt(st.bestEpoch());
            out.writeInt(st.sinceBest());
            out.writeDouble(st.seconds());
            out.writeDouble(sch.plateauLr);
            out.writeDouble(sch.plateauBest);
            out.writeInt(sch.plateauWait);
            out.writeInt(sch.replanned ? sch.plannedEpochs : -1); // -1: follow the config's epochs
            out.writeLong(sch.anchorStep);
            out.writeDouble(sch.anchorT);
            out.writeInt(st.history().size());
            for (Trainer.EpochStats e : st.history()) writeEpoch(out, e);
            net.block().saveParameters(out);
            opt.save(out);
            out.writeBoolean(ema != null);
            if (ema != null) ema.save(out);
            out.writeInt(MAGIC); // trailer: a torn file cannot pass for a whole one
            out.flush();
        });
    }

    public static State load(Path file, XrayNet net, Optimizer opt, Ema ema, LrSchedule sch) throws IOException {
        try (DataInputStream in = new DataInputStream(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
            int magic = in.readInt();
            if (magic != MAGIC && magic != MAGIC_V1) throw new IOException(file + ": not a Pneumoscope checkpoint");
            int done = in.readInt();
            double best = in.readDouble();
            int bestEpoch = in.readInt();
            int since = in.readInt();
            double secs = in.readDouble();
            sch.plateauLr = in.readDouble();
            sch.plateauBest = in.readDouble();
            sch.plateauWait = in.readInt();
            int planned = in.readInt();
            if (planned > 0) sch.replan(planned);
            if (magic == MAGIC) sch.restoreAnchor(in.readLong(), in.readDouble());
            int n = in.readInt();
            List<Trainer.EpochStats> hist = new ArrayList<>();
            for (int i = 0; i < n; i++) hist.add(readEpoch(in));
            try {
                net.readParameters(in);
            } catch (MalformedModelException e) {
                throw new IOException(file + ": checkpoint does not fit this model (" + e.getMessage() + ")", e);
            }
            opt.load(in);
            boolean hasEma = in.readBoolean();
            if (hasEma && ema != null) ema.load(in);
            else if (hasEma) { in.readLong(); byte[] skip = new byte[in.readInt()]; in.readFully(skip); }
            if (in.readInt() != magic) throw new IOException(file + ": checkpoint is truncated");
            return new State(done, hist, best, bestEpoch, since, secs);
        } catch (java.io.EOFException e) {
            throw new IOException(file + ": checkpoint is truncated", e);
        }
    }

    static void writeEpoch(DataOutputStream out, Trainer.EpochStats e) throws IOException {
        out.writeInt(e.epoch());
        out.writeDouble(e.trainLoss());
        out.writeDouble(e.trainAcc());
        out.writeDouble(e.valLoss());
        out.writeDouble(e.valAcc());
        out.writeInt(e.valRecall().length);
        for (double r : e.valRecall()) out.writeDouble(r);
        out.writeDouble(e.lr());
        out.writeDouble(e.imgPerSec());
        out.writeDouble(e.seconds());
    }

    static Trainer.EpochStats readEpoch(DataInputStream in) throws IOException {
        int ep = in.readInt();
        double tl = in.readDouble(), ta = in.readDouble(), vl = in.readDouble(), va = in.readDouble();
        double[] rec = new double[in.readInt()];
        for (int i = 0; i < rec.length; i++) rec[i] = in.readDouble();
        return new Trainer.EpochStats(ep, tl, ta, vl, va, rec, in.readDouble(), in.readDouble(), in.readDouble());
    }
}
