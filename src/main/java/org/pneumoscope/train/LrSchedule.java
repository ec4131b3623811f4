package org.pneumoscope.train;

import com.fasterxml.jackson.annotation.JsonValue;
import org.pneumoscope.core.Choice;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * Learning rate per step. {@code plateau} reproduces Keras' ReduceLROnPlateau on val accuracy
 * (the seed's choice); {@code cosine} decays to 1 % of the base over the planned steps, after a
 * linear warm-up, which suits short fixed budgets better than waiting for a plateau.
 */
public final class LrSchedule {
    /** What a config's {@code schedule} names. */
    public enum Kind implements Choice {
        PLATEAU, COSINE, CONSTANT;

        /** As written in YAML, JSON and log lines ("cosine"). */
        @JsonValue
        @Override
        public String toString() { return id(); }
    }

    private final TrainConfig cfg;
    private final int stepsPerEpoch;
    private long totalSteps;
    private final long warmupSteps;
    /** Epochs the schedule anneals over: cfg.epochs(), or fewer when a time budget cannot hold them all. */
    int plannedEpochs;
    /** True once a time budget shortened the plan (then a resume keeps the shortened plan). */
    boolean replanned;
    /**
     * Where the cosine curve was last re-planned: from {@code anchorStep} on, its progress runs from
     * {@code anchorT} to 1 at {@code totalSteps}. Re-planning mid-run moves the anchor to the current step, so the
     * rate continues from where it is (no jump) and still anneals fully at the new end.
     */
    long anchorStep;
    double anchorT;
    // plateau state (kept in checkpoints)
    double plateauLr;
    double plateauBest = Double.NEGATIVE_INFINITY;
    int plateauWait;

    public LrSchedule(TrainConfig cfg, int stepsPerEpoch) {
        this.cfg = cfg;
        this.stepsPerEpoch = stepsPerEpoch;
        this.plannedEpochs = cfg.epochs();
        this.totalSteps = (long) cfg.epochs() * stepsPerEpoch;
        this.warmupSteps = Math.round(cfg.warmupEpochs() * stepsPerEpoch);
        this.plateauLr = cfg.lr();
        this.anchorStep = warmupSteps;
    }

    /** Progress through the cosine phase, 0 at its start (after warm-up) and 1 at the planned end. */
    double progress(long step) {
        if (step <= anchorStep) return anchorT;
        return Math.min(1.0, anchorT + (1 - anchorT) * (step - anchorStep) / (double) Math.max(1, totalSteps - anchorStep));
    }

    public double lr(long step) {
        double base = cfg.schedule() == Kind.PLATEAU ? plateauLr : cfg.lr();
        if (warmupSteps > 0 && step < warmupSteps) return base * (step + 1) / (double) warmupSteps;
        if (cfg.schedule() == Kind.COSINE) {
            double t = progress(step);
            double floor = 0.01 * base;
            return floor + (base - floor) * 0.5 * (1 + Math.cos(Math.PI * t));
        }
        return base;
    }

    public int plannedEpochs() { return plannedEpochs; }

    /** Seconds kept free at the end of a time budget for calibration and the test report. */
    static final double RESERVE_SECONDS = 60;

    /**
     * How many epochs a run can complete inside {@code budgetSeconds}: the {@code done} epochs so far (taking
     * {@code elapsed} seconds) plus as many more as fit, each costing {@code epochSeconds}. At least {@code done}.
     */
    public static int epochsThatFit(double budgetSeconds, double elapsed, double epochSeconds, int done) {
        double left = budgetSeconds - RESERVE_SECONDS - elapsed;
        if (!(epochSeconds > 0) || left <= 0) return Math.max(1, done);
        return Math.max(1, done + (int) Math.floor(left / epochSeconds));
    }

    /**
     * What the next epochs will cost, from {@code seconds}, the cumulative elapsed time after each epoch so far:
     * the median of the latest three epochs' durations. The first epoch of a process ({@code firstOfProcess}, an
     * index into {@code seconds}) is left out once a later one exists: it runs slow while the JIT, allocator and
     * caches warm up (50–63 s against 26–40 s here). The median, not the latest, so that one epoch slowed by another
     * job on the machine does not cut the plan, while a slowdown (or speed-up) that lasts two epochs moves it.
     */
    public static double epochCost(double[] seconds, int firstOfProcess) {
        List<Double> d = new ArrayList<>();
        for (int i = 0; i < seconds.length; i++) {
            if (i == firstOfProcess && i < seconds.length - 1) continue;
            d.add(seconds[i] - (i == 0 ? 0 : seconds[i - 1]));
        }
        if (d.isEmpty()) return 0;
        List<Double> last = new ArrayList<>(d.subList(Math.max(0, d.size() - 3), d.size()));
        Collections.sort(last);
        int n = last.size();
        return n % 2 == 1 ? last.get(n / 2) : 0.5 * (last.get(n / 2 - 1) + last.get(n / 2));
    }

    /**
     * Re-plans the run to {@code epochs} epochs at optimizer step {@code atStep}, so a cosine schedule still anneals
     * fully inside a time budget (a slower machine gets fewer, complete epochs rather than a run cut off at a high
     * learning rate, and minutes freed when the machine speeds up are used). The rate at {@code atStep} is kept:
     * the rest of the curve is stretched or squeezed to the new end.
     */
    public void replan(int epochs, long atStep) {
        if (atStep > anchorStep) {
            anchorT = progress(atStep);
            anchorStep = atStep;
        }
        plannedEpochs = Math.max(1, Math.min(epochs, cfg.epochs()));
        replanned = true;
        totalSteps = (long) plannedEpochs * stepsPerEpoch;
    }

    /**
     * The planner's step after each epoch of a time-budgeted run: re-plans to the epochs that fit {@code budgetSeconds}
     * given {@code seconds} (cumulative elapsed after each epoch so far) and returns the per-epoch cost it assumed.
     */
    public double replanToBudget(double budgetSeconds, double[] seconds, int firstOfProcess, long atStep) {
        double cost = epochCost(seconds, firstOfProcess);
        double elapsed = seconds.length == 0 ? 0 : seconds[seconds.length - 1];
        replan(epochsThatFit(budgetSeconds, elapsed, cost, seconds.length), atStep);
        return cost;
    }

    /**
     * The planner's step while progressive resizing is still in its early phase: epochs keep costing the measured
     * (early) cost until {@code switchAt} seconds, after which each costs {@code fullCostFactor} times as much (the
     * pixel ratio, until full-size epochs are measured). An early epoch starts whenever the clock is short of
     * {@code switchAt}, so the early phase holds ceil(time left in it / cost) more epochs.
     */
    public double replanProgressive(double budgetSeconds, double[] seconds, int firstOfProcess, long atStep,
                                    double switchAt, double fullCostFactor) {
        double cost = epochCost(seconds, firstOfProcess);
        double elapsed = seconds.length == 0 ? 0 : seconds[seconds.length - 1];
        replan(epochsThatFitProgressive(budgetSeconds, elapsed, cost, seconds.length, switchAt, fullCostFactor), atStep);
        return cost;
    }

    /** See {@link #replanProgressive}: done + early epochs still to start + full-size epochs that fit after them. */
    public static int epochsThatFitProgressive(double budgetSeconds, double elapsed, double earlyCost, int done,
                                               double switchAt, double fullCostFactor) {
        double end = budgetSeconds - RESERVE_SECONDS;
        if (!(earlyCost > 0) || elapsed >= end) return Math.max(1, done);
        int early = (int) Math.ceil((Math.min(switchAt, end) - elapsed) / earlyCost);
        early = Math.max(0, Math.min(early, (int) Math.floor((end - elapsed) / earlyCost)));
        double left = end - elapsed - early * earlyCost;
        int full = (int) Math.floor(left / (earlyCost * fullCostFactor));
        return Math.max(1, done + early + Math.max(0, full));
    }

    void restoreAnchor(long step, double t) {
        anchorStep = step;
        anchorT = t;
    }

    /** Re-plans from the start of the cosine phase (before any step, or for a schedule's tests). */
    public void replan(int epochs) { replan(epochs, 0); }

    /** Called after each epoch with the validation accuracy; returns true when the rate was cut. */
    public boolean epochEnd(double valAcc) {
        if (cfg.schedule() != Kind.PLATEAU) return false;
        if (valAcc > plateauBest + cfg.plateauMinDelta()) {
            plateauBest = valAcc;
            plateauWait = 0;
            return false;
        }
        if (++plateauWait >= cfg.plateauPatience()) {
            plateauLr = Math.max(plateauLr * cfg.plateauFactor(), 1e-7);
            plateauWait = 0;
            return true;
        }
        return false;
    }
}
