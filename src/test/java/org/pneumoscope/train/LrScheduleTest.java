package org.pneumoscope.train;

import org.junit.jupiter.api.Test;

import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The time-budget planner: how many epochs fit, and what re-planning does to the cosine schedule. */
class LrScheduleTest {

    static LrSchedule cosine(int epochs, int stepsPerEpoch) {
        return new LrSchedule(TrainConfig.fromMap(Map.of("schedule", "cosine", "epochs", epochs, "lr", 1e-3,
                "warmup_epochs", 1.0)), stepsPerEpoch);
    }

    @Test
    void epochsThatFitCountWhatIsLeftAfterTheReserveAtTheLatestEpochCost() {
        // 29 min budget, a 63 s first epoch: (1740 - 60 - 63) / 63 = 25.7 -> 1 + 25
        assertEquals(26, LrSchedule.epochsThatFit(29 * 60, 63, 63, 1));
        // then the steady state: 3 epochs took 63 + 36 + 36 s; (1740 - 60 - 135) / 36 = 42.9 -> 3 + 42
        assertEquals(45, LrSchedule.epochsThatFit(29 * 60, 135, 36, 3));
        // over budget already: keep what is done
        assertEquals(3, LrSchedule.epochsThatFit(100, 200, 36, 3));
        assertEquals(1, LrSchedule.epochsThatFit(100, 200, 36, 0));
        assertEquals(2, LrSchedule.epochsThatFit(1000, 10, 0, 2), "a zero-cost epoch cannot be extrapolated");
    }

    @Test
    void replanningGrowsAndShrinksThePlanWithinTheConfiguredEpochs() {
        LrSchedule s = cosine(60, 10);
        s.replan(26);
        assertEquals(26, s.plannedEpochs());
        assertEquals(0.01e-3, s.lr(26 * 10), 1e-9, "anneals to 1 % at the end of the shorter plan");
        s.replan(45);
        assertEquals(45, s.plannedEpochs(), "a faster machine than the first epoch suggested gets more epochs");
        assertTrue(s.lr(26 * 10) > 0.3e-3, "half-way through the longer plan the rate is still high: " + s.lr(260));
        s.replan(500);
        assertEquals(60, s.plannedEpochs(), "never more than the config's epochs");
        s.replan(0);
        assertEquals(1, s.plannedEpochs());
    }

    @Test
    void growingThePlanEarlyBarelyMovesTheRate() {
        // re-planning after epoch 3 of 26 -> 45: the rate changes by a few percent, not a jump
        LrSchedule s = cosine(60, 100);
        s.replan(26);
        double before = s.lr(300);
        s.replan(45);
        double after = s.lr(300);
        assertTrue(after >= before && after < before * 1.05, before + " -> " + after);
    }

    @Test
    void replanningMidRunContinuesFromTheCurrentRateAndStillAnneals() {
        LrSchedule s = cosine(60, 100);
        s.replan(21, 300); // planned after epoch 3
        double at5 = s.lr(500);
        s.replan(28, 500); // the machine got faster: 7 more epochs
        assertEquals(at5, s.lr(500), 1e-12, "no jump where the plan changes");
        assertEquals(0.01e-3, s.lr(2800), 1e-9, "anneals to 1 % at the new end");
        for (long k = 501; k <= 2800; k++) assertTrue(s.lr(k) <= s.lr(k - 1) + 1e-15, "decays monotonically at step " + k);
        assertTrue(s.lr(2100) > 0.02e-3, "the old end is no longer the floor: " + s.lr(2100));
        double at15 = s.lr(1500);
        s.replan(18, 1500); // slower again, late in the run
        assertEquals(at15, s.lr(1500), 1e-12);
        assertEquals(0.01e-3, s.lr(1800), 1e-9, "anneals at the shortened end");
        assertEquals(18, s.plannedEpochs());
    }

    @Test
    void epochCostIsTheMedianOfTheLatestEpochsWithoutTheWarmUpEpoch() {
        // first epoch 60 s (warm-up), two epochs 75 s (another job on the cores), then 35 s
        double[] secs = {60, 135, 210, 245, 280};
        assertEquals(60, LrSchedule.epochCost(new double[]{60}, 0), 1e-9, "only the warm-up epoch so far");
        assertEquals(75, LrSchedule.epochCost(java.util.Arrays.copyOf(secs, 3), 0), 1e-9);
        assertEquals(75, LrSchedule.epochCost(java.util.Arrays.copyOf(secs, 4), 0), 1e-9, "one fast epoch does not move it yet");
        assertEquals(35, LrSchedule.epochCost(secs, 0), 1e-9, "two fast epochs do");
        assertEquals(35, LrSchedule.epochCost(new double[]{60, 95, 130, 200, 235}, 0), 1e-9, "one slow epoch is ignored");
        assertEquals(30, LrSchedule.epochCost(new double[]{30, 60, 90, 150, 180}, 3), 1e-9,
                "after a resume the new process's first epoch is the warm-up one");
    }

    @Test
    void aRunSlowedEarlyStillUsesItsBudgetAndEndsAnnealed() {
        // epoch 1 warms up (60 s), epochs 2-3 share the cores with another job (75 s), the rest run at 35 s:
        // the planner fixed after epoch 3 planned 3 + (1740 - 60 - 210) / 75 = 22 epochs, 14.6 of 29 minutes
        double budget = 29 * 60;
        LrSchedule s = cosine(60, 100);
        java.util.List<Double> secs = new java.util.ArrayList<>();
        double elapsed = 0;
        String end = "plan";
        for (int epoch = 0; epoch < s.plannedEpochs(); epoch++) {
            double cost = epoch == 0 ? 60 : epoch < 3 ? 75 : 35;
            elapsed += cost;
            secs.add(elapsed);
            s.replanToBudget(budget, secs.stream().mapToDouble(Double::doubleValue).toArray(), 0, (epoch + 1) * 100L);
            if (epoch + 1 < s.plannedEpochs() && elapsed + cost > budget) { end = "guard"; break; }
        }
        assertEquals("plan", end, "the plan, not the budget guard, ends the run");
        assertTrue(elapsed >= budget - LrSchedule.RESERVE_SECONDS - 35 && elapsed <= budget - LrSchedule.RESERVE_SECONDS,
                "used " + elapsed + " s of " + budget);
        assertEquals(45, s.plannedEpochs(), "3 slow epochs + (1740 - 60 - 210) / 35 = 42 fast ones");
        assertTrue(s.lr(secs.size() * 100L - 1) < 0.011e-3, "annealed at the end: " + s.lr(secs.size() * 100L - 1));
    }

    /** Progressive resizing: early epochs at their measured cost until the switch, full-size ones at the pixel ratio. */
    @Test
    void progressivePlanCountsEarlyEpochsToTheSwitchThenFullSizeOnesAtThePixelRatio() {
        double ratio = Math.pow(128 / 96.0, 2);   // 1.778: a 40 s early epoch becomes a 71.1 s one
        // 30 min budget, switch at 900 s, 100 s elapsed after 2 epochs of 40 s:
        // early epochs start at 100, 140, ..., 860: ceil(800 / 40) = 20; then (1740 - 100 - 800) / 71.1 = 11.8 -> 11
        assertEquals(2 + 20 + 11, LrSchedule.epochsThatFitProgressive(1800, 100, 40, 2, 900, ratio));
        // 880 s elapsed: one more early epoch (starts before 900), then (1740 - 880 - 40) / 71.1 = 11.5 -> 11
        assertEquals(20 + 1 + 11, LrSchedule.epochsThatFitProgressive(1800, 880, 40, 20, 900, ratio));
        // a switch beyond the budget's end: only early epochs, as many as fit
        assertEquals(2 + 41, LrSchedule.epochsThatFitProgressive(1800, 100, 40, 2, 5000, ratio));
        // nothing left: the epochs done
        assertEquals(7, LrSchedule.epochsThatFitProgressive(1800, 1750, 40, 7, 900, ratio));
        // without progressive resizing (factor 1, switch anywhere) it is the plain count
        assertEquals(LrSchedule.epochsThatFit(1800, 100, 40, 2), LrSchedule.epochsThatFitProgressive(1800, 100, 40, 2, 900, 1.0));
    }

    @Test
    void theEarlyPhaseIsAFractionOfTheBudgetOrOfTheEpochs() {
        java.util.Map<String, Object> m = new java.util.HashMap<>();
        m.put("size", 128); m.put("early_size", 96); m.put("early_fraction", 0.3); m.put("epochs", 10);
        TrainConfig byEpochs = TrainConfig.fromMap(m);
        for (int e = 0; e < 10; e++) assertEquals(e < 3, byEpochs.earlyEpoch(e, 1e9), "epoch " + e);
        m.put("max_minutes", 10.0);
        TrainConfig byTime = TrainConfig.fromMap(m);
        assertTrue(byTime.earlyEpoch(50, 179.9));
        assertFalse(byTime.earlyEpoch(1, 180.0));
        m.put("early_size", 0);
        assertFalse(TrainConfig.fromMap(m).earlyEpoch(0, 0), "off");
        m.put("early_size", 128);
        org.pneumoscope.core.UserException e = assertThrows(org.pneumoscope.core.UserException.class, () -> TrainConfig.fromMap(m));
        assertTrue(e.getMessage().contains("early_size must be 0 (off) or from 32 up to below size (128), not 128"), e.getMessage());
        m.put("early_size", 96); m.put("early_fraction", 1.0);
        assertThrows(org.pneumoscope.core.UserException.class, () -> TrainConfig.fromMap(m));
    }
}
