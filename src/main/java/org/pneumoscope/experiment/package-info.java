/**
 * Experiments: the original study's comparisons (data cases, batch × learning rate, freezing, head), run as
 * patient-grouped K-fold cross-validation. Cells are ranked by their validation figures (each run's own held-out fold);
 * every run is also scored once on one fixed test split, a share of patients, (with {@code holdout: batch}) the early
 * batch of patient numbers or (with {@code holdout: texture}) the blurriest normals and a share of the others, which the
 * tables show but never rank by.
 *
 * <p>An {@link org.pneumoscope.experiment.ExperimentSpec} (YAML: preset, base overrides, named cells and/or a
 * grid, folds, test fraction, seed) expands into {@link org.pneumoscope.experiment.Cell}s; an
 * {@link org.pneumoscope.experiment.ExperimentPlan} adds the data partition ({@link org.pneumoscope.pipeline.FoldPlan});
 * {@link org.pneumoscope.experiment.ExperimentRunner} trains every cell × fold through the same path as
 * {@code pneumoscope train} ({@code TrainJob.runOnSplit} then {@code EvaluateJob}) and
 * {@link org.pneumoscope.experiment.ResultTables} keeps the tables current. The units run in this process, as child
 * processes ({@code --parallel}), or through a {@link org.pneumoscope.experiment.UnitDispatcher} that another module
 * provides (the Spark module's runs each unit as a Spark task, {@code --spark}).
 *
 * <p>Output folder:
 * <pre>
 * plan.json            the resolved plan (cells with full configs; what child processes read)
 * split.csv            the partition: split=test, or split=train with its fold (pins it for reruns)
 * results.csv          one row per finished cell × fold: validation (val_*) and test split (test_*, or batch_* /
 *                      texture_* for a batch / texture holdout) figures
 * summary.csv/.md      mean ± SD per cell
 * plots/               val_macro_f1.png, accuracy.png, macro_f1.png (error bars), curves-CELL.png (mean over folds)
 * index.html           summary table, figures, links to every run's report
 * cells/CELL/cell.yaml the cell's config (a rerun with another config is refused)
 * cells/CELL/fold-N/   a normal run folder (config.yaml, split.csv, checkpoints/, metrics.csv, model.params,
 *                      model.json) plus test/ (metrics.json, predictions.csv, report.html) and result.json,
 *                      written last: its presence marks the run finished
 * </pre>
 */
package org.pneumoscope.experiment;
