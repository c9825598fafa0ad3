package dev.fedgrid.node;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InternalException;
import dev.fedgrid.api.InvalidRequestException;
import java.util.Map;

/**
 * The node's JSON: the same shapes as the API records, unknown fields refused (a task the node
 * does not fully understand must fail, not train on half a configuration). Thread-safe.
 */
final class NodeJson {
  private static final ObjectMapper MAPPER = JsonMapper.builder()
      .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
      .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
      .build();

  private NodeJson() {}

  static String write(Object value) {
    try {
      return MAPPER.writeValueAsString(value);
    } catch (JsonProcessingException e) {
      throw new InternalException("JSON_WRITE_FAILED", "could not write " + value.getClass().getSimpleName() + " as JSON", Map.of(), e);
    }
  }

  /** Parses JSON from the gateway into an API record; the record's own checks surface unchanged. */
  static <T> T read(String json, Class<T> type, String field) {
    try {
      return MAPPER.readValue(json, type);
    } catch (JsonProcessingException e) {
      for (Throwable c = e.getCause(); c != null; c = c.getCause()) {
        if (c instanceof FedGridException f) throw f;
      }
      throw new InvalidRequestException(
          "INVALID_JSON", field + " is not a " + type.getSimpleName() + " this node understands: " + e.getOriginalMessage());
    }
  }
}
