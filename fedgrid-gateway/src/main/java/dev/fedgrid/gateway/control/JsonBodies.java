package dev.fedgrid.gateway.control;

import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.InvalidTypeIdException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.gateway.json.Json;
import io.helidon.webserver.http.ServerRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads JSON request bodies with a size limit and turns every way they can be wrong into a {@link
 * InvalidRequestException} a person can act on: the line and column of a syntax error, the path of
 * an unknown or mistyped field, or the validation message of the record that refused the value
 * (which Jackson wraps, and which is unwrapped here).
 *
 * <p>Thread-safe (stateless).
 */
final class JsonBodies {
  /** The largest JSON body accepted: job specs are a few kilobytes. */
  static final int MAX_JSON_BYTES = 1 << 20;

  private static final ObjectReader READER =
      Json.mapper()
          .reader()
          .with(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .with(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
  private static final Pattern KNOWN_TYPE_IDS = Pattern.compile("known type ids = \\[([^\\]]*)\\]");

  private JsonBodies() {}

  /**
   * Reads and decodes the request body as {@code type}.
   *
   * @throws ApiProblem 413 when the body is larger than {@link #MAX_JSON_BYTES}
   * @throws InvalidRequestException when the body is not a valid {@code type}
   */
  static <T> T read(ServerRequest request, Class<T> type) {
    byte[] body = readBytes(request, MAX_JSON_BYTES);
    String what = type.getSimpleName();
    if (body.length == 0) {
      throw new InvalidRequestException("MALFORMED_JSON", "the request body is empty; send a JSON " + what + " object");
    }
    T value;
    try {
      value = READER.readValue(body, type);
    } catch (IOException e) {
      throw translate(e, what);
    }
    if (value == null) {
      throw new InvalidRequestException("MALFORMED_JSON", "the request body is null; send a JSON " + what + " object");
    }
    return value;
  }

  /** Reads at most {@code limit} bytes of the body, refusing larger ones without reading them. */
  static byte[] readBytes(ServerRequest request, int limit) {
    OptionalLong declared = request.headers().contentLength();
    if (declared.isPresent() && declared.getAsLong() > limit) {
      throw tooLarge(declared.getAsLong(), limit);
    }
    try (InputStream in = request.content().inputStream()) {
      byte[] bytes = in.readNBytes(limit + 1);
      if (bytes.length > limit) throw tooLarge(-1, limit);
      return bytes;
    } catch (IOException e) {
      throw new UncheckedIOException("could not read the request body", e);
    }
  }

  private static ApiProblem tooLarge(long declared, int limit) {
    var details = new LinkedHashMap<String, Object>();
    details.put("limitBytes", limit);
    if (declared >= 0) details.put("sizeBytes", declared);
    return new ApiProblem(
        413,
        "PAYLOAD_TOO_LARGE",
        "the request body is " + (declared >= 0 ? declared + " bytes" : "larger than the limit") + "; the control API accepts at most "
            + limit + " bytes of JSON",
        details);
  }

  /** Turns a Jackson failure into the matching FedGrid failure. */
  static FedGridException translate(IOException e, String what) {
    String path = e instanceof JsonMappingException m ? path(m.getPath()) : "";
    // A record constructor (JobSpec, TrainingConfig, a typed id, ...) refused a value: its message
    // already says what is wrong, so pass it on with the field's path.
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof FedGridException f) return withField(f, path);
    }
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof StreamReadException p) return malformed(p); // a syntax error inside a nested value
    }
    return switch (e) {
      case UnrecognizedPropertyException u -> unknownField(u, path);
      case InvalidTypeIdException t -> invalidTypeId(t, path);
      case InvalidFormatException f -> invalidValue(f, path);
      case MismatchedInputException m -> mismatched(m, path, what);
      case JsonMappingException m -> invalidField(path, describe(m), Map.of());
      default -> new InvalidRequestException("MALFORMED_JSON", "the request body could not be read: " + e.getMessage());
    };
  }

  private static FedGridException withField(FedGridException f, String path) {
    if (!(f instanceof InvalidRequestException) || path.isEmpty() || f.details().containsKey("field")) return f;
    var details = new LinkedHashMap<String, Object>(f.details());
    details.put("field", path);
    return new InvalidRequestException(f.code(), f.getMessage(), details, f);
  }

  private static InvalidRequestException unknownField(UnrecognizedPropertyException u, String path) {
    var known = new ArrayList<String>();
    Collection<Object> ids = u.getKnownPropertyIds();
    if (ids != null) ids.forEach(id -> known.add(String.valueOf(id)));
    known.sort(null);
    var details = new LinkedHashMap<String, Object>();
    details.put("field", path);
    details.put("knownFields", known);
    return new InvalidRequestException(
        "UNKNOWN_FIELD",
        "unknown field '" + path + "'" + (known.isEmpty() ? "" : "; the fields here are " + String.join(", ", known)),
        details);
  }

  private static InvalidRequestException invalidTypeId(InvalidTypeIdException t, String path) {
    String where = path.isEmpty() ? "the body" : "'" + path + "'";
    Matcher m = KNOWN_TYPE_IDS.matcher(String.valueOf(t.getOriginalMessage()));
    String known = m.find() ? m.group(1).replace(" ", "").replace(",", ", ") : "";
    var details = new LinkedHashMap<String, Object>();
    details.put("field", path.isEmpty() ? "type" : path + ".type");
    if (!known.isEmpty()) details.put("knownTypes", List.of(known.split(", ")));
    String message = t.getTypeId() == null
        ? where + " needs a \"type\" field"
        : where + " has unknown type '" + t.getTypeId() + "'";
    return new InvalidRequestException("INVALID_FIELD", message + (known.isEmpty() ? "" : "; known types: " + known), details);
  }

  private static InvalidRequestException invalidValue(InvalidFormatException f, String path) {
    Class<?> target = f.getTargetType();
    String expected = target != null && target.isEnum() ? "one of " + String.join(", ", enumWireNames(target)) : describeType(target);
    return invalidField(
        path, "'" + path + "' has the invalid value " + quote(f.getValue()) + "; expected " + expected, Map.of());
  }

  private static InvalidRequestException mismatched(MismatchedInputException m, String path, String what) {
    if (path.isEmpty()) {
      return new InvalidRequestException("MALFORMED_JSON", "the request body must be a JSON " + what + " object");
    }
    return invalidField(path, "'" + path + "' has the wrong type; expected " + describeType(m.getTargetType()), Map.of());
  }

  private static InvalidRequestException malformed(StreamReadException p) {
    JsonLocation at = p.getLocation();
    var details = new LinkedHashMap<String, Object>();
    String where = "";
    if (at != null && at.getLineNr() > 0) {
      details.put("line", at.getLineNr());
      details.put("column", at.getColumnNr());
      where = " at line " + at.getLineNr() + ", column " + at.getColumnNr();
    }
    String field = p.getProcessor() instanceof JsonParser parser ? contextPath(parser.getParsingContext()) : "";
    if (!field.isEmpty()) {
      details.put("field", field);
      where += " (in '" + field + "')";
    }
    String reason = firstSentence(p.getOriginalMessage());
    return new InvalidRequestException("MALFORMED_JSON", "malformed JSON" + where + ": " + reason, details);
  }

  private static InvalidRequestException invalidField(String path, String message, Map<String, Object> extra) {
    var details = new LinkedHashMap<String, Object>(extra);
    if (!path.isEmpty()) details.put("field", path);
    return new InvalidRequestException("INVALID_FIELD", message, details);
  }

  private static String describe(JsonMappingException m) {
    String reason = firstSentence(m.getOriginalMessage());
    String path = path(m.getPath());
    return path.isEmpty() ? reason : "'" + path + "': " + reason;
  }

  /** A Jackson reference path as {@code training.epochs} or {@code model.layers[0].units}. */
  static String path(List<JsonMappingException.Reference> refs) {
    var sb = new StringBuilder();
    for (JsonMappingException.Reference ref : refs) {
      if (ref.getFieldName() != null) {
        if (!sb.isEmpty()) sb.append('.');
        sb.append(ref.getFieldName());
      } else if (ref.getIndex() >= 0) {
        sb.append('[').append(ref.getIndex()).append(']');
      }
    }
    return sb.toString();
  }

  private static String contextPath(JsonStreamContext context) {
    var parts = new ArrayList<String>();
    for (JsonStreamContext c = context; c != null && !c.inRoot(); c = c.getParent()) {
      if (c.inObject() && c.getCurrentName() != null) parts.addFirst("." + c.getCurrentName());
      else if (c.inArray()) parts.addFirst("[" + Math.max(0, c.getCurrentIndex()) + "]");
    }
    String joined = String.join("", parts);
    return joined.startsWith(".") ? joined.substring(1) : joined;
  }

  private static List<String> enumWireNames(Class<?> type) {
    var names = new ArrayList<String>();
    for (Object constant : type.getEnumConstants()) {
      String name = ((Enum<?>) constant).name();
      try {
        JsonProperty p = type.getField(name).getAnnotation(JsonProperty.class);
        names.add(p != null && !p.value().isEmpty() ? p.value() : name);
      } catch (NoSuchFieldException e) {
        names.add(name);
      }
    }
    return names;
  }

  private static String describeType(Class<?> type) {
    if (type == null) return "another type";
    if (type == Integer.class || type == int.class || type == Long.class || type == long.class) return "an integer";
    if (type == Double.class || type == double.class || type == Float.class || type == float.class) return "a number";
    if (type == Boolean.class || type == boolean.class) return "true or false";
    if (type == String.class || type.isEnum()) {
      return type.isEnum() ? "one of " + String.join(", ", enumWireNames(type)) : "a string";
    }
    if (type.isArray() || Collection.class.isAssignableFrom(type)) return "an array";
    if (type.isRecord() && type.getRecordComponents().length == 1) return "a string";
    return "an object";
  }

  private static String quote(Object value) {
    return value instanceof String s ? "\"" + s + "\"" : String.valueOf(value);
  }

  private static String firstSentence(String message) {
    if (message == null) return "unreadable input";
    String line = message.lines().findFirst().orElse(message).strip();
    return line.length() > 200 ? line.substring(0, 200) + "…" : line;
  }
}
