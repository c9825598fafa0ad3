package dev.fedgrid.gateway.market;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.fedgrid.api.DatasetId;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.model.ModelSpec;
import dev.fedgrid.api.model.TrainingConfig;
import dev.fedgrid.gateway.json.Json;
import dev.fedgrid.market.ActivityCommand;
import dev.fedgrid.market.ActivityCommand.Deploy;
import dev.fedgrid.market.ActivityCommand.Endpoint;
import dev.fedgrid.market.ActivityCommand.ParameterSource;
import dev.fedgrid.market.ActivityCommand.Run;
import dev.fedgrid.market.ActivityCommand.RunKind;
import dev.fedgrid.market.ActivityCommand.Start;
import dev.fedgrid.market.ActivityCommand.Terminate;
import dev.fedgrid.market.ActivityCommand.Transfer;
import dev.fedgrid.market.ActivityScript;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Reads scripts from their JSON form, a list of one-key objects as in Golem's ExeScript:
 *
 * <pre>{@code
 * [{"deploy": {"model": {...ModelSpec...}, "dataset": "ds_...", "parameters": "initial", "seed": 42}},
 *  {"start": {}},
 *  {"run": {"kind": "fit", "epochs": 2, "batchSize": 32, "learningRate": 0.1}},
 *  {"transfer": {"from": "activity", "to": "gateway"}},
 *  {"terminate": {}}]
 * }</pre>
 *
 * Every argument is checked; an unknown command or argument, a missing or malformed one is 400
 * {@code INVALID_COMMAND} naming the command's index ({@code details.index}) and the field ({@code
 * details.field}, such as {@code commands[2].run.kind}). Stateless and thread-safe.
 */
final class ActivityScripts {
  private static final List<String> COMMANDS = List.of("deploy", "start", "run", "transfer", "terminate");
  private static final Set<String> TRAINING = Set.of("epochs", "batchSize", "optimizer", "learningRate", "momentum", "seed");

  private ActivityScripts() {}

  /** The script of {@code commands} (the JSON list), or a 400 naming the first bad command. */
  static ActivityScript parse(JsonNode commands) {
    if (commands == null || !commands.isArray()) {
      throw new InvalidRequestException("INVALID_SCRIPT", "'commands' must be a JSON list of commands such as [{\"deploy\": {...}}, {\"start\": {}}]",
          Map.of("field", "commands"));
    }
    if (commands.size() > ActivityScript.MAX_COMMANDS) {
      throw new InvalidRequestException("INVALID_SCRIPT", "a script has at most " + ActivityScript.MAX_COMMANDS + " commands, got " + commands.size()
          + "; split it", Map.of("field", "commands"));
    }
    var out = new ArrayList<ActivityCommand>();
    for (int i = 0; i < commands.size(); i++) out.add(command(i, commands.get(i)));
    return new ActivityScript(out);
  }

  /** The script's commands as stored and shown: one-key objects with every argument filled in. */
  static List<Map<String, Object>> json(ActivityScript script) {
    var out = new ArrayList<Map<String, Object>>();
    for (ActivityCommand c : script.commands()) {
      var args = new LinkedHashMap<String, Object>();
      switch (c) {
        case Deploy d -> {
          args.put("model", d.model());
          args.put("dataset", d.dataset().value());
          args.put("parameters", d.parameters().name().toLowerCase(Locale.ROOT));
          args.put("seed", d.seed());
        }
        case Run r -> {
          args.put("kind", r.kind().name().toLowerCase(Locale.ROOT));
          if (r.dataset() != null) args.put("dataset", r.dataset().value());
          TrainingConfig t = r.training();
          args.put("epochs", t.epochs());
          args.put("batchSize", t.batchSize());
          args.put("optimizer", t.optimizer());
          args.put("learningRate", t.learningRate());
          args.put("momentum", t.momentum());
          args.put("seed", t.seed());
          args.put("standardize", r.standardize());
        }
        case Transfer t -> {
          args.put("from", t.from().name().toLowerCase(Locale.ROOT));
          args.put("to", t.to().name().toLowerCase(Locale.ROOT));
        }
        case Start s -> {}
        case Terminate t -> {}
      }
      out.add(Map.of(c.name(), args));
    }
    return out;
  }

  private static ActivityCommand command(int i, JsonNode node) {
    String at = "commands[" + i + "]";
    if (node == null || !node.isObject() || node.size() != 1) {
      throw invalid(i, at, "command " + i + " must be an object with one key, the command's name: one of " + String.join(", ", COMMANDS));
    }
    String name = node.fieldNames().next();
    JsonNode args = node.get(name);
    if (!COMMANDS.contains(name)) throw invalid(i, at, "command " + i + ": unknown command '" + name + "'; use one of " + String.join(", ", COMMANDS));
    if (args.isNull()) args = Json.mapper().createObjectNode();
    if (!args.isObject()) throw invalid(i, at + "." + name, "command " + i + " (" + name + "): its arguments must be an object, such as {}");
    String path = at + "." + name;
    try {
      return switch (name) {
        case "deploy" -> {
          only(i, path, args, Set.of("model", "dataset", "parameters", "seed"));
          JsonNode model = required(i, path, args, "model");
          ModelSpec spec;
          try {
            spec = Json.mapper().treeToValue(model, ModelSpec.class);
          } catch (Exception e) {
            throw invalid(i, path + ".model", "command " + i + " (deploy): 'model' is not a model spec: " + firstLine(e));
          }
          if (spec == null) throw invalid(i, path + ".model", "command " + i + " (deploy): 'model' is required");
          ParameterSource source = choice(i, path, args, "parameters", ParameterSource.class, ParameterSource.INITIAL);
          yield new Deploy(spec, dataset(i, path, required(i, path, args, "dataset")), source, integer(i, path, args, "seed", 42));
        }
        case "start", "terminate" -> {
          only(i, path, args, Set.of());
          yield name.equals("start") ? new Start() : new Terminate();
        }
        case "run" -> {
          var allowed = new java.util.HashSet<>(TRAINING);
          allowed.addAll(Set.of("kind", "dataset", "standardize"));
          only(i, path, args, allowed);
          RunKind kind = choice(i, path, args, "kind", RunKind.class, null);
          if (kind == null) throw invalid(i, path + ".kind", "command " + i + " (run): 'kind' is required: fit or evaluate");
          DatasetId dataset = args.hasNonNull("dataset") ? dataset(i, path, args.get("dataset")) : null;
          ObjectNode training = Json.mapper().createObjectNode();
          for (String f : TRAINING) if (args.has(f)) training.set(f, args.get(f));
          TrainingConfig config;
          try {
            config = Json.mapper().treeToValue(training, TrainingConfig.class);
          } catch (Exception e) {
            throw invalid(i, path, "command " + i + " (run): " + firstLine(e));
          }
          JsonNode standardize = args.get("standardize");
          if (standardize != null && !standardize.isBoolean()) throw invalid(i, path + ".standardize", "command " + i + " (run): 'standardize' is true or false");
          yield new Run(kind, dataset, config, standardize == null || standardize.booleanValue());
        }
        default -> {
          only(i, path, args, Set.of("from", "to"));
          Endpoint from = choice(i, path, args, "from", Endpoint.class, null);
          Endpoint to = choice(i, path, args, "to", Endpoint.class, null);
          if (from == null || to == null) throw invalid(i, path, "command " + i + " (transfer): 'from' and 'to' are required: job → activity, or activity → gateway");
          yield new Transfer(from, to);
        }
      };
    } catch (InvalidRequestException e) {
      if (e.details().containsKey("index")) throw e;
      throw invalid(i, path + (e.details().get("field") instanceof String f ? "." + f : ""), "command " + i + " (" + name + "): " + e.getMessage());
    }
  }

  private static void only(int i, String path, JsonNode args, Set<String> allowed) {
    for (Iterator<String> it = args.fieldNames(); it.hasNext(); ) {
      String f = it.next();
      if (!allowed.contains(f)) {
        String name = path.substring(path.lastIndexOf('.') + 1);
        throw invalid(i, path + "." + f, "command " + i + " (" + name + "): unknown argument '" + f + "'" + (allowed.isEmpty() ? "; it takes none" : "; it takes " + String.join(", ", allowed.stream().sorted().toList())));
      }
    }
  }

  private static JsonNode required(int i, String path, JsonNode args, String field) {
    JsonNode v = args.get(field);
    if (v == null || v.isNull()) throw invalid(i, path + "." + field, "command " + i + ": '" + field + "' is required");
    return v;
  }

  private static DatasetId dataset(int i, String path, JsonNode v) {
    if (!v.isTextual()) throw invalid(i, path + ".dataset", "command " + i + ": 'dataset' is a dataset id (ds_...)");
    try {
      return DatasetId.of(v.asText());
    } catch (FedGridException e) {
      throw invalid(i, path + ".dataset", "command " + i + ": " + e.getMessage());
    }
  }

  private static long integer(int i, String path, JsonNode args, String field, long otherwise) {
    JsonNode v = args.get(field);
    if (v == null || v.isNull()) return otherwise;
    if (!v.canConvertToLong() || !v.isIntegralNumber()) throw invalid(i, path + "." + field, "command " + i + ": '" + field + "' is a whole number");
    return v.longValue();
  }

  private static <E extends Enum<E>> E choice(int i, String path, JsonNode args, String field, Class<E> type, E otherwise) {
    JsonNode v = args.get(field);
    if (v == null || v.isNull()) return otherwise;
    var names = new ArrayList<String>();
    for (E e : type.getEnumConstants()) {
      String wire = e.name().toLowerCase(Locale.ROOT);
      names.add(wire);
      if (v.isTextual() && v.asText().equals(wire)) return e;
    }
    throw invalid(i, path + "." + field, "command " + i + ": '" + field + "' is one of " + String.join(", ", names) + ", not " + v);
  }

  private static String firstLine(Exception e) {
    String m = e instanceof FedGridException f ? f.getMessage() : String.valueOf(e.getMessage());
    int nl = m.indexOf('\n');
    m = nl < 0 ? m : m.substring(0, nl);
    int at = m.indexOf(" (for ");
    return at < 0 ? m : m.substring(0, at);
  }

  private static InvalidRequestException invalid(int index, String field, String message) {
    return new InvalidRequestException("INVALID_COMMAND", message, Map.of("index", index, "field", field));
  }
}
