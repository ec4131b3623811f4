package org.pneumoscope.train;

/**
 * Learning rate per step. {@code plateau} reproduces Keras' ReduceLROnPlateau on val accuracy
 * (the seed's choice); {@code cosine} decays to 1 % of the base over the planned steps, after a
 * linear warm-up, which suits short fixed budgets better than waiting for a plateau.
 */
public final class LrSchedule {
    private final TrainConfig cfg;
    private final int stepsPerEpoch;
    private long totalSteps;
    private final long warmupSteps;
    /** Epochs the schedule anneals over: cfg.epochs(), or fewer when a time budget cannot hold them all. */
    int plannedEpochs;
    /** True once a time budget shortened the plan (then a resume keeps the shortened plan). */
    boolean replanned;
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
    }

    public double lr(long step) {
        double base = cfg.schedule().equals("plateau") ? plateauLr : cfg.lr();
        if (warmupSteps > 0 && step < warmupSteps) return base * (step + 1) / (double) warmupSteps;
        if (cfg.schedule().equals("cosine")) {
            double t = Math.min(1.0, (step - warmupSteps) / (double) Math.max(1, totalSteps - warmupSteps));
            double floor = 0.01 * base;
            return floor + (base - floor) * 0.5 * (1 + Math.cos(Math.PI * t));
        }
        return base;
    }

    public int plannedEpochs() { return plannedEpochs; }

    /** Under a time budget the plan is revised after each of the first epochs, while the rate is still high. */
    public static final int PLANNING_EPOCHS = 3;

    /** Seconds kept free at the end of a time budget for calibration and the test report. */
    static final double RESERVE_SECONDS = 60;

    /**
     * How many epochs a run can complete inside {@code budgetSeconds}: the {@code done} epochs so far (taking
     * {@code elapsed} seconds) plus as many more as fit, each costing {@code lastEpochSeconds}. At least {@code done}.
     */
    public static int epochsThatFit(double budgetSeconds, double elapsed, double lastEpochSeconds, int done) {
        double left = budgetSeconds - RESERVE_SECONDS - elapsed;
        if (!(lastEpochSeconds > 0) || left <= 0) return Math.max(1, done);
        return Math.max(1, done + (int) Math.floor(left / lastEpochSeconds));
    }

    /**
     * Re-plans the run to {@code epochs} epochs so a cosine schedule still anneals fully inside a time budget
     * (a slower machine gets fewer, complete epochs rather than a run cut off at a high learning rate).
     */
    public void replan(int epochs) {
        plannedEpochs = Math.max(1, Math.min(epochs, cfg.epochs()));
        replanned = true;
        totalSteps = (long) plannedEpochs * stepsPerEpoch;
    }

    /** Called after each epoch with the validation accuracy; returns true when the rate was cut. */
    public boolean epochEnd(double valAcc) {
        if (!cfg.schedule().equals("plateau")) return false;
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
