package dev.fedgrid.gateway.state;

import dev.fedgrid.api.model.Parameters;
import java.util.Map;

/**
 * The global model after round {@code round} (0 = initial parameters) and the strategy's
 * server-side state at that point.
 */
public record Checkpoint(int round, Parameters parameters, Map<String, float[]> strategyState) {
  public Checkpoint {
    strategyState = Map.copyOf(strategyState);
  }
}
