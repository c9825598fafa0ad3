package dev.fedgrid.gateway.fleet;

import com.fasterxml.jackson.core.JsonProcessingException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.dataset.DatasetInfo;
import dev.fedgrid.api.dataset.DatasetMetadata;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.proto.fleet.v1.LocalPrivacy;
import dev.fedgrid.proto.fleet.v1.RegisterRequest;
import dev.fedgrid.proto.fleet.v1.RegisterResponse;
import dev.fedgrid.proto.fleet.v1.RegisteredDataset;
import dev.fedgrid.proto.fleet.v1.Task;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * Translates fleet API messages to and from the API records, validating everything that comes from
 * a node: a malformed field is an {@link InvalidRequestException} naming the field, thrown before
 * anything reaches the {@link FleetBackend}. Stateless and thread-safe.
 */
final class FleetMessages {
  static final int MAX_METRICS = 64;
  static final Pattern METRIC_KEY = Pattern.compile("[A-Za-z][A-Za-z0-9_.:/-]{0,63}");
  static final int MAX_DATASETS = 256;
  static final int MAX_NAME_LENGTH = 128;
  static final int MAX_VERSION_LENGTH = 64;
  static final int MAX_TOKEN_LENGTH = 512;
  static final int MAX_REASON_LENGTH = 1000;
  static final int MAX_CORES = 1 << 16;

  private FleetMessages() {}

  static NodeHello hello(RegisterRequest r) {
    boolean hasId = !r.getNodeId().isEmpty();
    boolean hasToken = !r.getNodeToken().isEmpty();
    if (hasId != hasToken) {
      throw new InvalidRequestException(
          "INVALID_REGISTRATION", "send both node_id and node_token to keep an earlier identity, or neither to get a new one");
    }
    if (r.getNodeToken().length() > MAX_TOKEN_LENGTH) {
      throw new InvalidRequestException("INVALID_REGISTRATION", "node_token is longer than " + MAX_TOKEN_LENGTH + " characters");
    }
    if (r.getJoinToken().length() > MAX_TOKEN_LENGTH) {
      throw new InvalidRequestException("INVALID_REGISTRATION", "join_token is longer than " + MAX_TOKEN_LENGTH + " characters");
    }
    Optional<NodeId> id = hasId ? Optional.of(NodeId.of(r.getNodeId())) : Optional.empty();
    String name = text("name", r.getName(), MAX_NAME_LENGTH, false);
    String version = text("version", r.getVersion(), MAX_VERSION_LENGTH, true);
    if (r.getCores() < 0 || r.getCores() > MAX_CORES) {
      throw new InvalidRequestException("INVALID_REGISTRATION", "cores must be in [0, " + MAX_CORES + "], got " + r.getCores());
    }
    if (r.getMemoryMib() < 0) {
      throw new InvalidRequestException("INVALID_REGISTRATION", "memory_mib must not be negative, got " + r.getMemoryMib());
    }
    if (r.getDatasetMetadataJsonCount() > MAX_DATASETS) {
      throw new InvalidRequestException(
          "INVALID_REGISTRATION", "a node may register at most " + MAX_DATASETS + " datasets, got " + r.getDatasetMetadataJsonCount());
    }
    var datasets = new ArrayList<DatasetMetadata>();
    var names = new HashSet<String>();
    for (int i = 0; i < r.getDatasetMetadataJsonCount(); i++) {
      DatasetMetadata m = fromJson(r.getDatasetMetadataJson(i), DatasetMetadata.class, "dataset_metadata_json[" + i + "]");
      if (!names.add(m.name())) {
        throw new InvalidRequestException("INVALID_REGISTRATION", "dataset name '" + m.name() + "' appears twice; names are unique per node");
      }
      datasets.add(m);
    }
    Optional<String> joinToken = r.getJoinToken().isEmpty() ? Optional.empty() : Optional.of(r.getJoinToken());
    return new NodeHello(id, hasToken ? Optional.of(r.getNodeToken()) : Optional.empty(), name, r.getCores(), r.getMemoryMib(), version, datasets, joinToken);
  }

  static RegisterResponse registration(Registration r) {
    var b = RegisterResponse.newBuilder()
        .setNodeId(r.nodeId().value())
        .setNodeToken(r.token())
        .setHeartbeatIntervalMs(r.heartbeatInterval().toMillis());
    for (DatasetInfo d : r.datasets()) {
      b.addDatasets(RegisteredDataset.newBuilder().setDatasetId(d.id().value()).setName(d.name()));
    }
    return b.build();
  }

  static Task task(TaskAssignment a) {
    Task.Builder b = Task.newBuilder()
        .setTaskId(a.id().value())
        .setJobId(a.job().value())
        .setRound(a.round())
        .setKind(kind(a.kind()))
        .setDatasetId(a.dataset().value())
        .setModelSpecJson(toJson(a.model()))
        .setTrainingConfigJson(toJson(a.training()))
        .setProximalMu(a.proximalMu())
        .setFeatureScalingJson(toJson(a.scaling()))
        .setParameterLayoutJson(toJson(a.layout()))
        .setDeadlineEpochMs(a.deadline().toEpochMilli());
    if (a.localPrivacy() != null) {
      b.setLocalPrivacy(LocalPrivacy.newBuilder().setNoiseMultiplier(a.localPrivacy().noiseMultiplier()).setClipNorm(a.localPrivacy().clipNorm()));
    }
    if (a.confidential() != null) b.setConfidentialModelJson(toJson(a.confidential()));
    if (a.secAgg() != null) b.setSecagg(SecAggWire.setup(a.secAgg()));
    return b.build();
  }

  static dev.fedgrid.proto.fleet.v1.TaskKind kind(TaskKind kind) {
    return switch (kind) {
      case FIT -> dev.fedgrid.proto.fleet.v1.TaskKind.TASK_KIND_FIT;
      case EVALUATE -> dev.fedgrid.proto.fleet.v1.TaskKind.TASK_KIND_EVALUATE;
    };
  }

  static TaskKind kind(dev.fedgrid.proto.fleet.v1.TaskKind kind) {
    return switch (kind) {
      case TASK_KIND_FIT -> TaskKind.FIT;
      case TASK_KIND_EVALUATE -> TaskKind.EVALUATE;
      default -> throw new InvalidRequestException("INVALID_TASK_KIND", "kind must be TASK_KIND_FIT or TASK_KIND_EVALUATE, got " + kind);
    };
  }

  /** Checks optional job id and round fields: when given they must be well formed. */
  static void checkJobAndRound(String jobId, int round) {
    if (!jobId.isEmpty()) JobId.of(jobId);
    if (round < 0) throw new InvalidRequestException("INVALID_ROUND", "round must not be negative, got " + round);
  }

  /**
   * Checks a node's metrics: at most {@value #MAX_METRICS}, keys like {@code loss} or {@code
   * val.accuracy}, finite values.
   */
  static Map<String, Double> metrics(Map<String, Double> metrics) {
    if (metrics.size() > MAX_METRICS) {
      throw new InvalidRequestException("INVALID_METRICS", "an update may carry at most " + MAX_METRICS + " metrics, got " + metrics.size());
    }
    var out = new LinkedHashMap<String, Double>();
    for (var e : metrics.entrySet()) {
      if (!METRIC_KEY.matcher(e.getKey()).matches()) {
        throw new InvalidRequestException(
            "INVALID_METRICS", "metric name '" + shorten(e.getKey()) + "' must be 1 to 64 letters, digits, '_', '.', ':', '/' or '-', starting with a letter");
      }
      if (!Double.isFinite(e.getValue())) {
        throw new InvalidRequestException("INVALID_METRICS", "metric " + e.getKey() + " is " + e.getValue() + "; metrics must be finite");
      }
      out.put(e.getKey(), e.getValue());
    }
    return Map.copyOf(out);
  }

  static String reason(String reason) {
    return text("reason", reason, MAX_REASON_LENGTH, false);
  }

  /** Parses JSON into an API record; record constructors' own checks surface unchanged. */
  static <T> T fromJson(String json, Class<T> type, String field) {
    try {
      return Json.mapper().readValue(json, type);
    } catch (JsonProcessingException e) {
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
        if (c instanceof FedGridException f) throw f;
      }
      throw new InvalidRequestException(
          "INVALID_JSON", field + " is not a valid " + type.getSimpleName() + ": " + shorten(e.getOriginalMessage()));
    }
  }

  static String toJson(Object value) {
    try {
      return Json.mapper().writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new InternalException("JSON_WRITE_FAILED", "could not write " + value.getClass().getSimpleName() + " as JSON", Map.of(), e);
    }
  }

  private static String text(String field, String value, int maxLength, boolean emptyAllowed) {
    if (value.isEmpty() && !emptyAllowed) {
      throw new InvalidRequestException("INVALID_FIELD", field + " must not be empty");
    }
    if (value.length() > maxLength) {
      throw new InvalidRequestException("INVALID_FIELD", field + " must have at most " + maxLength + " characters, got " + value.length());
    }
    for (int i = 0; i < value.length(); i++) {
      if (Character.isISOControl(value.charAt(i)) && value.charAt(i) != '\n' && value.charAt(i) != '\t') {
        throw new InvalidRequestException("INVALID_FIELD", field + " contains a control character at position " + i);
      }
    }
    return value;
  }

  static String shorten(String s) {
    if (s == null) return "";
    return s.length() > 200 ? s.substring(0, 200) + "…" : s;
  }
}
