package org.pneumoscope.spark;

import org.apache.spark.api.java.function.Function;
import org.pneumoscope.experiment.ExperimentPlan;
import org.pneumoscope.experiment.ExperimentRunner;

import java.io.Serializable;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;

/** One cell × fold (fold 0-based) of an experiment, as a Spark task runs it. */
record UnitTask(String cell, int fold, String label) implements Serializable {

    /**
     * @param threads     PyTorch, OpenMP and JVM processor count of the unit's child process
     * @param heapMb      the child's heap; 0: the executor's heap over {@code perExecutor}
     * @param perExecutor tasks that run at once in one executor
     */
    record Limits(int threads, long heapMb, int perExecutor, boolean gallery, boolean allowDownload) implements Serializable {
        long childHeapMb() {
            return heapMb > 0 ? heapMb : Math.max(1024, Runtime.getRuntime().maxMemory() / perExecutor >> 20);
        }
    }

    /** What became of a unit: {@code failure} is null when it finished (its result.json is written). */
    record Outcome(String cell, int fold, String failure) implements Serializable {}

    /**
     * Runs one unit in a child JVM of the executor and waits for it. Anything that goes wrong with the unit itself
     * comes back as its failure, so that Spark retries only what it should: a task lost with its executor.
     */
    static final class Run implements Function<UnitTask, Outcome> {
        private static final long serialVersionUID = 1L;
        private final String out;
        private final Limits limits;

        Run(String out, Limits limits) {
            this.out = out;
            this.limits = limits;
        }

        @Override
        public Outcome call(UnitTask t) throws InterruptedException {
            String host = host();
            Path dir = Path.of(out);
            if (!Files.isRegularFile(dir.resolve("plan.json")))
                return new Outcome(t.cell(), t.fold(), t.label() + ": the experiment folder " + out + " is not visible on "
                        + host + " (no plan.json): --out must be a path every executor can write, at the same place");
            var child = new ExperimentRunner.ChildLimits(limits.threads(), limits.childHeapMb(), limits.gallery(), limits.allowDownload(),
                    ProcessHandle.current().pid());
            Path log = ExperimentPlan.unitDir(dir, t.cell(), t.fold()).resolve("experiment.log");
            int rc;
            try {
                rc = ExperimentRunner.runChild(dir, t.cell(), t.fold(), child, null);
            } catch (java.io.IOException | RuntimeException e) {
                return new Outcome(t.cell(), t.fold(), t.label() + ": could not run on " + host + ": " + e);
            }
            if (rc == 0 && Files.isRegularFile(ExperimentPlan.resultFile(dir, t.cell(), t.fold())))
                return new Outcome(t.cell(), t.fold(), null);
            return new Outcome(t.cell(), t.fold(), t.label() + ": child process exited with code " + rc + " on " + host
                    + " (see " + log + ")");
        }

        private static String host() {
            try {
                return InetAddress.getLocalHost().getHostName();
            } catch (java.io.IOException e) {
                return "this executor";
            }
        }
    }
}
