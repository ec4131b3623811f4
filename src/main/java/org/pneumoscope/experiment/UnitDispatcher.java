package org.pneumoscope.experiment;

import org.pneumoscope.core.UserException;

import java.io.IOException;
import java.io.PrintStream;
import java.util.List;
import java.util.ServiceLoader;

/**
 * Runs an experiment's pending units somewhere other than this process's own threads and children: on Spark, whose
 * module provides it ({@link Provider}, found through {@link ServiceLoader} so that the program never depends on Spark).
 * The runner prepares the folder before and writes the tables after, exactly as it does without one; a unit counts as
 * finished when its {@code result.json} is in the folder afterwards.
 */
public interface UnitDispatcher extends AutoCloseable {

    /** Units that run at a time (for the plan's time estimate). */
    int slots();

    /**
     * Runs every unit of {@code todo} into the experiment folder {@code o.out()}, which the runner has prepared
     * (split.csv, cell.yaml, plan.json) and holds locked.
     *
     * @return one message per unit that failed for a reason of its own (today's failure lines: what, and where its log is)
     */
    List<String> run(ExperimentPlan plan, List<ExperimentPlan.Unit> todo, ExperimentRunner.Options o, PrintStream log)
            throws IOException;

    @Override
    void close();

    /** What a module registers in {@code META-INF/services/org.pneumoscope.experiment.UnitDispatcher$Provider}. */
    interface Provider {
        /** {@code master}: where the units run, e.g. local[2], spark://host:7077, yarn, k8s://... */
        UnitDispatcher open(String master, PrintStream log);
    }

    /**
     * The Spark module's provider, or a clear refusal when the module is not on the class path (the launcher adds it
     * only when {@code --spark} is given; {@code java -jar} and the distribution never have it). Cheap: nothing starts.
     */
    static Provider spark() {
        for (Provider p : ServiceLoader.load(Provider.class, UnitDispatcher.class.getClassLoader())) return p;
        throw new UserException("--spark needs the Spark module, which is not on the class path: run the command through the "
                + "./pneumoscope launcher (it adds the module when --spark is given) or spark-submit the job jar "
                + "(docs/scale.md, \"Experiments on Spark\")", 2);
    }
}
