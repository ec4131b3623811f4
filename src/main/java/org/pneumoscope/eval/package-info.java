/**
 * Evaluation of three-class chest X-ray predictions (bacteria 0, virus 1, normal 2).
 *
 * <pre>{@code
 * Evaluation.Accumulator acc = Evaluation.accumulator();
 * for (batch : testBatches) acc.addAll(batch.labels(), batch.softmax(), batch.patientIds(), batch.files());
 * EvaluationResult r = acc.evaluate();             // 1000 patient-bootstrap replicates, seed 42
 * System.out.print(r.toText());                     // per-class table for the terminal
 * r.writeJson(runDir.resolve("metrics.json"));       // NaN written as null
 * acc.writePredictions(runDir.resolve("predictions.csv"));
 *
 * Calibration c = Calibration.fit(Calibration.Method.BIAS_CORRECTED, valLogits, valLabels);  // T and class offsets, on validation
 * CalibrationResult cal = CalibrationResult.of(c, testLogits, testLabels);    // judge on test
 * float[][] p = c.probabilities(testLogits);                                   // what a user sees
 * }</pre>
 *
 * Conventions for undefined values (class never predicted, class absent, one-class AUC) are listed on
 * {@link org.pneumoscope.eval.Evaluation}. Everything here is plain Java: no native engine is needed.
 */
package org.pneumoscope.eval;
