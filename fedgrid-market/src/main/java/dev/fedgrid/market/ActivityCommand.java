package dev.fedgrid.market;

import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import java.util.Map;
import java.util.Objects;

/**
 * One command of an activity's script, executed in order by the node (docs/market.md,
 * "Activities"). The closed set of Golem's ExeScript commands adapted to federated learning; each
 * checks its own arguments when built, so a script that parsed is one the node can attempt.
 */
public sealed interface ActivityCommand {
  /** The command's name in scripts and results: {@code deploy}, {@code start}, ... */
  String name();

  /** Where the parameters of a deployed model come from. */
  enum ParameterSource {
    /** Freshly initialized on the node from the layout and {@link Deploy#seed()}. */
    INITIAL,
    /** The latest global parameters of the agreement's job (its last checkpoint). */
    JOB
  }

  /** What {@link Run} does with the deployed model. */
  enum RunKind {
    FIT,
    EVALUATE
  }

  /** The two ends of a {@link Transfer}. */
  enum Endpoint {
    /** The latest global parameters of the agreement's job, kept by the gateway. */
    JOB,
    /** The parameters of the model deployed in the activity, on the node. */
    ACTIVITY,
    /** A copy held by the gateway with the activity, shown by its size and digest. */
    GATEWAY
  }

  /**
   * Loads a model on the node: its spec, built for the feature shape of {@code dataset}, with
   * parameters from {@code parameters}.
   */
  record Deploy(ModelSpec model, DatasetId dataset, ParameterSource parameters, long seed) implements ActivityCommand {
    public Deploy {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(dataset, "dataset");
      Objects.requireNonNull(parameters, "parameters");
    }

    @Override
    public String name() {
      return "deploy";
    }
  }

  /** Makes a deployed model ready to run. */
  record Start() implements ActivityCommand {
    @Override
    public String name() {
      return "start";
    }
  }

  /**
   * Fits the deployed model on {@code dataset}'s training split or evaluates it on its test split.
   *
   * @param dataset null for the dataset named by {@link Deploy}
   * @param standardize whether features are standardized with the dataset's own statistics
   */
  record Run(RunKind kind, DatasetId dataset, TrainingConfig training, boolean standardize) implements ActivityCommand {
    public Run {
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(training, "training");
    }

    @Override
    public String name() {
      return "run";
    }
  }

  /**
   * Moves parameters: {@code JOB → ACTIVITY} loads the job's global parameters into the deployed
   * model; {@code ACTIVITY → GATEWAY} sends the model's parameters to the gateway, which keeps them
   * with the activity. No other direction exists.
   */
  record Transfer(Endpoint from, Endpoint to) implements ActivityCommand {
    public Transfer {
      Objects.requireNonNull(from, "from");
      Objects.requireNonNull(to, "to");
      boolean in = from == Endpoint.JOB && to == Endpoint.ACTIVITY;
      boolean out = from == Endpoint.ACTIVITY && to == Endpoint.GATEWAY;
      if (!in && !out) {
        throw new InvalidRequestException(
            "INVALID_COMMAND", "transfer from " + from + " to " + to + " is not supported; use from job to activity, or from activity to gateway",
            Map.of("field", "from"));
      }
    }

    @Override
    public String name() {
      return "transfer";
    }
  }

  /** Ends the activity: the node drops the model. */
  record Terminate() implements ActivityCommand {
    @Override
    public String name() {
      return "terminate";
    }
  }
}
