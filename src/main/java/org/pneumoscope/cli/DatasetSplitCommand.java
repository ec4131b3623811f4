package org.pneumoscope.cli;

import org.pneumoscope.data.BatchSplit;
import org.pneumoscope.data.SplitStrategy;
import org.pneumoscope.pipeline.DatasetSplitJob;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.concurrent.Callable;

/**
 * {@code pneumoscope dataset split --data X --out split.csv [--ratios 8:1:1] [--folds K] [--seed S]
 * [--strategy patient|batch|texture [--batch-fraction F] [--batch-end early|late|both]
 * [--texture-fraction F] [--other-fraction F]]}.
 */
@Command(name = "split", mixinStandardHelpOptions = true,
        description = {"Write a manifest CSV (file,label,patient_id,split[,fold]) with patient-grouped, class-stratified "
                + "train/val/test splits that every other command accepts as --data.",
                "With --folds K, a fold column (0..K-1) is added for cross-validation over the non-test images; "
                        + "test images get an empty fold.",
                "Manifest paths are relative to the CSV's folder, or absolute for images outside it."})
public class DatasetSplitCommand implements Callable<Integer> {

    @Option(names = "--data", required = true, paramLabel = "FOLDER|CSV", description = "Dataset folder or CSV manifest.")
    Path data;

    @Option(names = "--out", required = true, paramLabel = "CSV", description = "Manifest to write.")
    Path out;

    @Option(names = "--ratios", paramLabel = "T:V:T", description = "train:val:test proportions (default ${DEFAULT-VALUE}).")
    String ratios = "8:1:1";

    @Option(names = "--folds", paramLabel = "K", description = "Also assign K cross-validation folds.")
    Integer folds;

    @Option(names = "--seed", paramLabel = "S", description = "Random seed; the same seed gives the same split (default ${DEFAULT-VALUE}).")
    long seed = 42;

    @Option(names = "--keep-existing", description = "Keep splits the dataset already has; distribute only the rest.")
    boolean keepExisting;

    @Option(names = "--regroup", description = "When the kept splits put one patient in two of train, val and test, move "
            + "that patient's images into the split holding most of them (default: refuse, listing the patients).")
    boolean regroup;

    @Option(names = "--verbatim-ids", description = "Take a manifest's patient_id as written instead of by the file-name "
            + "rule (which makes NORMAL2-IM-0383 and IM-0383 one patient).")
    boolean verbatimIds;

    @Option(names = "--force", description = "Allow overwriting the manifest that was read.")
    boolean force;

    @Option(names = "--strategy", paramLabel = "patient|batch|texture|shape", description = {
            "What the test split holds (default: patient).",
            "patient: a random, class-stratified share of patients (--ratios).",
            "batch: a proxy for films from another acquisition period, which a random patient split never shows. Within "
                    + "each file-name family (the patient id without its last number: IM- and person, since the "
                    + "file-name rule makes NORMAL2-IM-0383 patient IM-0383; NORMAL2-IM- too only with --verbatim-ids "
                    + "on a manifest whose patient_id keeps that prefix) the "
                    + "patients with the lowest numbers (--batch-fraction, --batch-end) are the test split; the rest is "
                    + "split by patient into train and val in the train:val proportions of --ratios (its test part is "
                    + "ignored). Patients without a number in their id are never held out.",
            "texture: a proxy for normal films from another batch, for a model that may have learnt \"sharp = normal\". "
                    + "The normal-class patients (all films normal) whose films are blurriest (median mean absolute "
                    + "4-neighbour Laplacian of the 224x224 grey film) are the test split (--texture-fraction), with a "
                    + "random, class-stratified share of the other patients (--other-fraction); the rest is split into "
                    + "train and val as for batch. Every film is decoded once to measure it.",
            "shape: a proxy for normal films from originals shaped like the pneumonia films', for a model that may have "
                    + "learnt \"wide chest = normal\". As texture, but the normal-class patients held out are those whose "
                    + "chests look narrowest after the squash to a square (highest median gradient anisotropy: mean "
                    + "|horizontal| over mean |vertical| gradient of the smoothed 224x224 grey film)."})
    SplitStrategy strategy = SplitStrategy.PATIENT;

    @Option(names = "--batch-fraction", paramLabel = "F",
            description = "With --strategy batch: share of each family's patients held out (default 0.10).")
    Double batchFraction;

    @Option(names = "--batch-end", paramLabel = "early|late|both",
            description = "With --strategy batch: hold out the lowest numbers (early, the default), the highest (late) or "
                    + "the fraction from each end (both).")
    BatchSplit.End batchEnd;

    @Option(names = "--texture-fraction", paramLabel = "F",
            description = "With --strategy texture or shape: share of the normal-class patients held out, the blurriest or "
                    + "narrowest-chested (default 0.25).")
    Double textureFraction;

    @Option(names = "--other-fraction", paramLabel = "F", description = "With --strategy texture or shape: share of the other "
            + "patients held out at random, stratified by class, so their recall is measured too (default 0.15).")
    Double otherFraction;


    @Override
    public Integer call() throws Exception {
        DatasetSplitJob.run(new DatasetSplitJob.Options(data, out, ratios, folds, seed, keepExisting, regroup, verbatimIds, force, strategy, batchFraction, batchEnd, textureFraction, otherFraction), System.out);
        return 0;
    }
}
