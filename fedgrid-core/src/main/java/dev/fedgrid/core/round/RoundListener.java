package dev.fedgrid.core.round;

import dev.fedgrid.api.NodeId;
import java.util.List;

/** Hears of a round's progress while {@link RoundDriver#run} drives it; the default hears nothing. */
public interface RoundListener {
  /** Participants were drawn (at least {@code minNodes} of them); fit tasks go out next. */
  default void started(RoundPlan plan, List<NodeId> participants) {}

  /** A listener that ignores everything. */
  RoundListener NONE = new RoundListener() {};
}
