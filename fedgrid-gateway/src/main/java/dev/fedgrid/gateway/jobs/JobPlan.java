package dev.fedgrid.gateway.jobs;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.dataset.ColumnStats;
import dev.fedgrid.api.dataset.DatasetFormat;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.api.dataset.FeatureScaling;
import dev.fedgrid.api.dataset.LabelInfo;
import dev.fedgrid.api.dataset.LabelKind;
import dev.fedgrid.api.job.JobSpec;
import dev.fedgrid.core.data.FeatureStats;
import dev.fedgrid.gateway.state.StateStore;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A job's datasets resolved against the catalogue: which dataset each node trains on, and the
 * input shape and label they share. Resolution checks that every dataset agrees on format,
 * feature shape, schema and label kind, so a job never mixes incompatible data.
 */
record JobPlan(List<Integer> inputShape, LabelInfo label, DatasetFormat format, Map<NodeId, DatasetInfo> byNode) {

  /**
   * Resolves a spec's dataset names and ids.
   *
   * @throws NotFoundException when a name or id matches nothing in the catalogue
   * @throws InvalidRequestException when the matched datasets disagree
   */
  static JobPlan resolve(JobSpec spec, StateStore store) {
    List<DatasetInfo> matched = JobDatasets.resolve(store, spec);
    DatasetMetadata first = matched.getFirst().metadata();
    var byNode = new LinkedHashMap<NodeId, DatasetInfo>();
    int classes = 0;
    for (DatasetInfo d : matched) {
      DatasetMetadata m = d.metadata();
      if (m.format() != first.format() || !m.featureShape().equals(first.featureShape())) {
        throw new InvalidRequestException(
            "DATASETS_DISAGREE",
            "dataset " + d.id() + " (" + m.name() + ") has " + m.format() + " features " + m.featureShape() + " but "
                + first.name() + " has " + first.format() + " " + first.featureShape() + "; a job's datasets must share one schema");
      }
      if (!columnNames(m).equals(columnNames(first))) {
        throw new InvalidRequestException(
            "DATASETS_DISAGREE", "dataset " + d.id() + " (" + m.name() + ") has different feature columns from " + first.name());
      }
      if (m.label().kind() != first.label().kind() || !m.label().column().equals(first.label().column())) {
        throw new InvalidRequestException(
            "DATASETS_DISAGREE", "dataset " + d.id() + " labels '" + m.label().column() + "' as " + m.label().kind()
                + " but " + first.name() + " labels '" + first.label().column() + "' as " + first.label().kind());
      }
      classes = Math.max(classes, m.label().numClasses());
      byNode.putIfAbsent(d.nodeId(), d); // one dataset per node and job
    }
    LabelInfo label = first.label().kind() == LabelKind.CATEGORICAL
        ? new LabelInfo(first.label().column(), LabelKind.CATEGORICAL, classes, List.of())
        : LabelInfo.continuous(first.label().column());
    return new JobPlan(first.featureShape(), label, first.format(), byNode);
  }

  /** The datasets' names, each once, for messages: "cancer" rather than the ids a job is fixed to. */
  String datasetNames() {
    return String.join(", ", byNode.values().stream().map(d -> d.metadata().name()).distinct().toList());
  }

  /** The scaling nodes apply when the spec does not give one. */
  FeatureScaling defaultScaling(boolean standardize) {
    if (!standardize) return FeatureScaling.identity();
    if (format == DatasetFormat.IDX) return new FeatureScaling(List.of(0.0), List.of(255.0));
    var stats = new ArrayList<List<ColumnStats>>();
    for (DatasetInfo d : byNode.values()) stats.add(d.metadata().features());
    return stats.stream().anyMatch(List::isEmpty) ? FeatureScaling.identity() : FeatureStats.pool(stats);
  }

  /** Checks a user-supplied scaling against the feature width. */
  void checkScaling(FeatureScaling scaling) {
    int width = 1;
    for (int d : inputShape) width *= d;
    if (scaling.mean().size() != 1 && scaling.mean().size() != width) {
      throw new InvalidRequestException(
          "INVALID_SCALING", "the scaling has " + scaling.mean().size() + " entries but the data has " + width + " features; give 1 or " + width);
    }
  }

  private static List<String> columnNames(DatasetMetadata m) {
    return m.features().stream().map(ColumnStats::name).toList();
  }
}
