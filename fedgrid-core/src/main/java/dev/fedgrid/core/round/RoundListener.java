package dev.fedgrid.core.round;

import dev.fedgrid.api.NodeId;
import java.util.List;

/** Hears of a round's progress while {@link RoundDriver#run} drives it; the default hears nothing. */
public interface RoundListener {
  /** Participants were drawn (at least {@code minNodes} of them); fit tasks go out next. */
  default void started(RoundPlan plan, List<NodeId> participants) {}

  /**
   * A SecAgg+ stage of the round's fit phase closed: {@code survivors} of the {@code selected} nodes
   * answered it and go on.
   */
  default void secAggStageClosed(RoundPlan plan, dev.fedgrid.core.secagg.SecAggStage stage, int survivors, int selected) {}

  /** A listener that ignores everything. */
  RoundListener NONE = new RoundListener() {};
}
