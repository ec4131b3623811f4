package org.pneumoscope.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.SparkListenerTaskStart;
import org.apache.spark.sql.SparkSession;
import org.pneumoscope.core.UserException;
import org.pneumoscope.experiment.ExperimentPlan;
import org.pneumoscope.experiment.ExperimentRunner;
import org.pneumoscope.experiment.UnitDispatcher;

import java.io.PrintStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * An experiment's cell × fold runs as Spark tasks, one unit per partition (a lost executor loses one unit, which
 * Spark's own task retry, spark.task.maxFailures, runs again). Each task runs its unit as a child JVM, as
 * {@code --parallel} does: training seeds PyTorch's random generator and sets its intra-op thread count, both global
 * to a process, so two units trained at once in one executor JVM would draw from each other's random stream and
 * results would depend on timing. The child is given the task's cores (cores / slots locally, spark.task.cpus on a
 * cluster) as its threads. A unit that fails for a reason of its own (its child exits with an error) ends its task
 * normally with the failure, so Spark does not retry it; the experiment reports it as it reports any failed run.
 *
 * <p>The experiment folder must be at the same path on every machine, writable (a shared file system); the driver
 * prepares it and writes the tables, the units write their own run folders in it.
 */
public final class ExperimentOnSpark implements UnitDispatcher.Provider {

    /** The Spark setting that gives each unit's child process its heap (e.g. 6g); unset: executor heap / task slots. */
    public static final String UNIT_HEAP = "spark.pneumoscope.unitHeap";

    /** For {@link java.util.ServiceLoader}. */
    public ExperimentOnSpark() {}

    @Override
    public UnitDispatcher open(String master, PrintStream log) {
        return new Dispatcher(Sessions.open(master, "pneumoscope experiment"), true);
    }

    /** A dispatcher on a session the caller owns and stops. */
    public static UnitDispatcher on(SparkSession spark) {
        return new Dispatcher(spark, false);
    }

    private record Dispatcher(SparkSession spark, boolean owned) implements UnitDispatcher {
        @Override
        public int slots() {
            return spark.sparkContext().defaultParallelism();
        }

        @Override
        public List<String> run(ExperimentPlan plan, List<ExperimentPlan.Unit> todo, ExperimentRunner.Options o, PrintStream log) {
            if (todo.isEmpty()) return List.of();
            if (Boolean.parseBoolean(spark.conf().get("spark.speculation", "false")))
                throw new UserException("spark.speculation is on: a second copy of a unit would train into the same run folder; "
                        + "run experiments with spark.speculation=false", 2);
            UnitTask.Limits limits = limits(o);
            List<UnitTask> tasks = new ArrayList<>();
            for (ExperimentPlan.Unit u : todo) tasks.add(new UnitTask(u.cell().name(), u.fold(), u.label()));
            log.printf(Locale.ROOT, "running %d run(s) as Spark tasks on %s (%d task slot(s)), each a child process with %d thread(s); "
                            + "their output goes to each run's experiment.log%n", tasks.size(), spark.sparkContext().master(), slots(),
                    limits.threads());
            JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
            Progress progress = new Progress(tasks, o.out(), log);
            spark.sparkContext().addSparkListener(progress);
            List<UnitTask.Outcome> outcomes;
            try {
                jsc.setJobDescription("experiment " + plan.spec().name() + ": " + tasks.size() + " cell × fold run(s)");
                outcomes = jsc.parallelize(tasks, tasks.size()).map(new UnitTask.Run(o.out().toAbsolutePath().toString(), limits))
                        .collect();
            } finally {
                spark.sparkContext().removeSparkListener(progress);
            }
            List<String> failures = new ArrayList<>();
            for (UnitTask.Outcome r : outcomes) if (r.failure() != null) failures.add(r.failure());
            for (String f : failures) log.println("  FAILED " + f);
            return failures;
        }

        /**
         * Threads and heap of each unit's child process: the heap is {@link ExperimentOnSpark#UNIT_HEAP} when set, else
         * the executor's heap shared by the tasks that run in it at once.
         */
        private UnitTask.Limits limits(ExperimentRunner.Options o) {
            int threads = ScoreJob.threads(spark, 0);
            int perExecutor = spark.sparkContext().isLocal() ? slots()
                    : Math.max(1, Integer.parseInt(spark.conf().get("spark.executor.cores", "1"))
                    / Math.max(1, Integer.parseInt(spark.conf().get("spark.task.cpus", "1"))));
            String heap = spark.conf().get(UNIT_HEAP, "");
            long heapMb = heap.isBlank() ? 0 : org.apache.spark.network.util.JavaUtils.byteStringAsMb(heap);
            return new UnitTask.Limits(threads, heapMb, perExecutor, o.gallery(), o.allowDownload());
        }

        @Override
        public void close() {
            if (owned) spark.stop();
        }
    }

    /** Says when a unit's task starts and ends, and where; Spark's own retries show as a second start. */
    private static final class Progress extends SparkListener {
        private final List<UnitTask> tasks;
        private final Path out;
        private final PrintStream log;
        private int ended;

        Progress(List<UnitTask> tasks, Path out, PrintStream log) {
            this.tasks = tasks;
            this.out = out;
            this.log = log;
        }

        @Override
        public void onTaskStart(SparkListenerTaskStart e) {
            int i = e.taskInfo().index();
            if (i < 0 || i >= tasks.size()) return;
            log.printf(Locale.ROOT, "[task] started  %s on %s%s%n", tasks.get(i).label(), e.taskInfo().host(),
                    e.taskInfo().attemptNumber() > 0 ? " (attempt " + (e.taskInfo().attemptNumber() + 1) + ")" : "");
        }

        @Override
        public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
            int i = e.taskInfo().index();
            if (i < 0 || i >= tasks.size()) return;
            UnitTask t = tasks.get(i);
            boolean ok = e.taskInfo().successful();
            boolean finished = java.nio.file.Files.isRegularFile(ExperimentPlan.resultFile(out, t.cell(), t.fold()));
            if (ok) ended++;
            log.printf(Locale.ROOT, "[%d/%d] %s %s on %s%n", ended, tasks.size(),
                    !ok ? "lost    " : finished ? "done    " : "failed  ", t.label(), e.taskInfo().host());
        }
    }
}
