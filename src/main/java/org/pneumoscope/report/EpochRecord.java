package org.pneumoscope.report;

/**
 * What training records per epoch, for the training-curve plot. Use NaN for anything not measured
 * (e.g. no validation set): such points are left out of the plot.
 *
 * @param epoch     1-based epoch number
 * @param trainLoss mean training loss over the epoch
 * @param trainAcc  training accuracy (0..1)
 * @param valLoss   validation loss
 * @param valAcc    validation accuracy (0..1)
 * @param lr        learning rate used in the epoch (last value when it changes within the epoch)
 * @param imgPerSec training throughput, images per second
 * @param valRecall validation recall per class in label order (bacteria, virus, normal); may be null
 */
public record EpochRecord(int epoch, double trainLoss, double trainAcc, double valLoss, double valAcc,
                          double lr, double imgPerSec, double[] valRecall) {
}
