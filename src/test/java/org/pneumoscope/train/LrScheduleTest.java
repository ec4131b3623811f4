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
}
