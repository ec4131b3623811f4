package org.pneumoscope.cli;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.pneumoscope.core.AtomicFiles;
import org.pneumoscope.core.UserException;
import org.pneumoscope.eval.BootstrapConfig;
import org.pneumoscope.eval.Ensemble;
import org.pneumoscope.eval.EvaluationResult;
import org.pneumoscope.eval.PredictionsCsv;
import org.pneumoscope.train.RunFolder;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

@Command(name = "ensemble", mixinStandardHelpOptions = true,
        description = "Score the average of several models' predictions on one test set (cross-validation folds, seeds or "
                + "recipes): reads each RUN/test/predictions.csv (or a predictions.csv given directly), averages the class "
                + "probabilities image by image and writes metrics.json and predictions.csv as evaluate does, with each "
                + "member's own accuracy beside the ensemble's.%n"
                + "Example: pneumoscope ensemble runs/seed1 runs/seed2 runs/seed3 --out runs/ensemble")
public class EnsembleCommand implements Callable<Integer> {
    @Parameters(arity = "2..*", paramLabel = "RUN", description = "Run folders (their test/predictions.csv) or predictions.csv files.")
    List<Path> members;
    @Option(names = "--out", required = true, description = "Output folder.") Path out;
    @Option(names = "--bootstrap-seed", defaultValue = "42", description = "Seed of the patient bootstrap (default ${DEFAULT-VALUE}).") long bootstrapSeed;

    @Override
    public Integer call() throws Exception {
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
        System.out.printf(Locale.ROOT, "%d members, %d images each%n", preds.size(), avg.size());
        for (int i = 0; i < preds.size(); i++) {
            EvaluationResult r = preds.get(i).evaluate(boot);
            mj.addObject().put("source", names.get(i)).put("accuracy", r.accuracy()).put("macro_f1", r.macroF1())
                    .put("macro_auc", r.macroAuc()).put("ece", r.ece());
            System.out.printf(Locale.ROOT, "  %-40s accuracy %.3f  macro-F1 %.3f  macro AUC %.3f  ECE %.3f%n",
                    names.get(i), r.accuracy(), r.macroF1(), r.macroAuc(), r.ece());
        }
        EvaluationResult e = avg.evaluate(boot);
        json.put("method", "mean of the members' calibrated class probabilities");
        json.setAll(e.toJsonNode());
        Path metrics = out.resolve("metrics.json");
        AtomicFiles.writeString(metrics, RunFolder.JSON.writeValueAsString(json));
        PredictionsCsv.write(out.resolve("predictions.csv"), avg.files(), avg.labels(), avg.probabilities(), avg.patientIds());
        System.out.println("ensemble (mean probability):");
        System.out.print(e.toText());
        System.out.println("metrics: " + metrics);
        return 0;
    }
}
