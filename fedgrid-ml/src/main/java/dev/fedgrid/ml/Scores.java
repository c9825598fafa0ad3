package dev.fedgrid.ml;

import dev.fedgrid.api.model.Loss;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Accumulates a model's raw outputs against their labels, batch by batch, into the metrics FedGrid
 * reports: {@code loss} always (the same loss the model trains with, in double precision),
 * {@code accuracy} for classification, {@code auc} for binary classification, {@code mse} and
 * {@code mae} for regression.
 *
 * <p>Outputs are logits: softmax cross-entropy is {@code logsumexp(z) - z[y]}, binary cross-entropy
 * {@code max(z, 0) - z y + log(1 + exp(-|z|))}, both stable for any finite {@code z}.
 *
 * <p>Not thread-safe.
 */
final class Scores {
  private final Loss loss;
  private final int width;
  private final boolean keepScores;
  private long count;
  private double lossSum;
  private long correct;
  private double absSum;
  private float[] scores = new float[0];
  private float[] labels = new float[0];

  /**
   * @param width outputs per example
   * @param keepScores whether to keep binary scores for the AUC
   */
  Scores(Loss loss, int width, boolean keepScores) {
    this.loss = loss;
    this.width = width;
    this.keepScores = keepScores && loss == Loss.BINARY_CROSS_ENTROPY;
  }

  /**
   * Adds {@code n} examples: outputs {@code n * width} values row-major, and their labels.
   *
   * @throws TrainingException when an output is NaN or infinite
   */
  void add(float[] outputs, float[] batchLabels, int n) {
    for (int i = 0; i < n; i++) {
      int o = i * width;
      float y = batchLabels[i];
      for (int k = 0; k < width; k++) {
        if (!Float.isFinite(outputs[o + k])) {
          throw new TrainingException("the model's outputs became NaN or infinite; lower the learning rate or check the feature scaling");
        }
      }
      switch (loss) {
        case SOFTMAX_CROSS_ENTROPY -> {
          int best = 0;
          double max = outputs[o];
          for (int k = 1; k < width; k++) {
            if (outputs[o + k] > max) {
              max = outputs[o + k];
              best = k;
            }
          }
          double sum = 0;
          for (int k = 0; k < width; k++) sum += Math.exp(outputs[o + k] - max);
          lossSum += max + Math.log(sum) - outputs[o + (int) y];
          if (best == (int) y) correct++;
        }
        case BINARY_CROSS_ENTROPY -> {
          double z = outputs[o];
          lossSum += Math.max(z, 0) - z * y + Math.log1p(Math.exp(-Math.abs(z)));
          if ((z > 0) == (y == 1f)) correct++;
        }
        case MSE -> {
          double err = outputs[o] - (double) y;
          lossSum += err * err;
          absSum += Math.abs(err);
        }
      }
    }
    if (keepScores) {
      int from = (int) count;
      if (from + n > scores.length) {
        int capacity = Math.max(from + n, scores.length * 2);
        scores = Arrays.copyOf(scores, capacity);
        labels = Arrays.copyOf(labels, capacity);
      }
      System.arraycopy(outputs, 0, scores, from, n);
      System.arraycopy(batchLabels, 0, labels, from, n);
    }
    count += n;
  }

  /** Examples added so far. */
  long count() {
    return count;
  }

  /** Mean loss over the examples added so far. */
  double meanLoss() {
    return lossSum / count;
  }

  /**
   * The metrics over everything added. {@code auc} is left out when the labels hold only one class,
   * where it is undefined.
   */
  Map<String, Double> metrics() {
    var metrics = new HashMap<String, Double>();
    metrics.put("loss", meanLoss());
    switch (loss) {
      case SOFTMAX_CROSS_ENTROPY -> metrics.put("accuracy", (double) correct / count);
      case BINARY_CROSS_ENTROPY -> {
        metrics.put("accuracy", (double) correct / count);
        if (keepScores) {
          double auc = auc(Arrays.copyOf(scores, (int) count), Arrays.copyOf(labels, (int) count));
          if (!Double.isNaN(auc)) metrics.put("auc", auc);
        }
      }
      case MSE -> {
        metrics.put("mse", meanLoss());
        metrics.put("mae", absSum / count);
      }
    }
    return metrics;
  }

  /**
   * The area under the ROC curve of {@code scores} for labels 1 (positive) and 0, or NaN when one
   * class is absent.
   *
   * <p>Computed exactly as the Mann–Whitney statistic: with {@code R} the sum of the positives'
   * ranks among all scores (tied scores sharing their average rank), {@code AUC = (R - P(P+1)/2) /
   * (P N)} for {@code P} positives and {@code N} negatives. This equals the probability that a random
   * positive scores above a random negative, counting ties as one half. {@code O(n log n)}: each score
   * is packed with its label into one {@code long} whose order is the score's order, and sorted.
   */
  static double auc(float[] scores, float[] labels) {
    int n = scores.length;
    long[] keys = new long[n];
    long positives = 0;
    for (int i = 0; i < n; i++) {
      int bits = Float.floatToIntBits(scores[i] == 0f ? 0f : scores[i]); // -0 ties with +0
      bits ^= (bits >> 31) & 0x7fffffff; // negative floats: reverse the order of their magnitudes
      boolean positive = labels[i] == 1f;
      if (positive) positives++;
      keys[i] = ((long) bits << 1) | (positive ? 1 : 0);
    }
    long negatives = n - positives;
    if (positives == 0 || negatives == 0) return Double.NaN;
    Arrays.sort(keys);
    double rankSum = 0;
    for (int i = 0; i < n; ) {
      int j = i;
      long score = keys[i] >> 1;
      int tiedPositives = 0;
      while (j < n && keys[j] >> 1 == score) {
        tiedPositives += (int) (keys[j] & 1);
        j++;
      }
      double averageRank = (i + 1 + j) / 2.0; // ranks i+1 .. j
      rankSum += averageRank * tiedPositives;
      i = j;
    }
    return (rankSum - positives * (positives + 1) / 2.0) / ((double) positives * negatives);
  }
}
