package org.pneumoscope.pipeline;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.UserException;
import org.pneumoscope.eval.BootstrapConfig;
import org.pneumoscope.eval.Ensemble;
import org.pneumoscope.eval.EvaluationResult;
import org.pneumoscope.eval.PredictionsCsv;
import org.pneumoscope.train.Provenance;
import org.pneumoscope.train.RunFolder;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/** The mean of several runs' test predictions (folds, seeds or recipes), scored as {@code evaluate} scores one run. */
public final class EnsembleJob {
    private EnsembleJob() {}

    /**
     * Averages the members' calibrated test probabilities film by film and scores the mean into {@code out}
     * (metrics.json, predictions.csv), each member's own figures beside it.
     */
    public static Path run(List<Path> members, Path out, long bootstrapSeed, PrintStream log) throws Exception {
        List<PredictionsCsv.Predictions> preds = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (Path m : members) {
            Path csv = Files.isDirectory(m) ? m.resolve("test").resolve("predictions.csv") : m;
            if (!Files.isRegularFile(csv))
                throw new UserException(Files.isDirectory(m)
                        ? m + ": no test/predictions.csv (train it to the end, or run evaluate --run " + m + " --out " + m.resolve("test") + ")"
                        : m + ": no such file");
            try {
                preds.add(PredictionsCsv.read(csv));
            } catch (IllegalArgumentException e) {
                throw new UserException(e.getMessage());
            }
            names.add(m.toString());
        }
        PredictionsCsv.Predictions avg;
        try {
            avg = Ensemble.average(preds, names);
        } catch (IllegalArgumentException e) {
            throw new UserException(e.getMessage());
        }
        BootstrapConfig boot = new BootstrapConfig(1000, bootstrapSeed);
        Files.createDirectories(out);
        ObjectNode json = RunFolder.JSON.createObjectNode();
        ArrayNode mj = json.putArray("members");
        log.printf(Locale.ROOT, "%d members, %d images each%n", preds.size(), avg.size());
        for (int i = 0; i < preds.size(); i++) {
            EvaluationResult r = preds.get(i).evaluate(boot);
            mj.addObject().put("source", names.get(i)).put("accuracy", r.accuracy()).put("macro_f1", r.macroF1())
                    .put("macro_auc", r.macroAuc()).put("ece", r.ece());
            log.printf(Locale.ROOT, "  %-40s accuracy %.3f  macro-F1 %.3f  macro AUC %.3f  ECE %.3f%n",
                    names.get(i), r.accuracy(), r.macroF1(), r.macroAuc(), r.ece());
        }
        EvaluationResult e = avg.evaluate(boot);
        json.put("method", "mean of the members' calibrated class probabilities");
        json.setAll(e.toJsonNode());
        // the members' metrics.json name their models' configs and films; an ensemble adds only the software
        json.set("provenance", RunFolder.JSON.valueToTree(Provenance.software().toMap()));
        Path metrics = out.resolve("metrics.json");
        AtomicFiles.writeString(metrics, RunFolder.JSON.writeValueAsString(json));
        PredictionsCsv.write(out.resolve("predictions.csv"), avg.files(), avg.labels(), avg.probabilities(), avg.patientIds());
        log.println("ensemble (mean probability):");
        log.print(e.toText());
        log.println("metrics: " + metrics);
        return metrics;
    }
}
