package dev.fedgrid.market;

import dev.fedgrid.api.InvalidRequestException;
import java.math.BigDecimal;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The properties an offer or a demand publishes: namespaced keys such as {@code
 * fedgrid.inf.mem.gib} mapped to typed values.
 *
 * <p>Keys match {@code [a-z][a-z0-9_]*(\.[a-z0-9_]+)*}. The namespaces FedGrid uses are listed in
 * {@code docs/market.md}. Immutable and thread-safe; build with {@link #builder()}.
 */
public final class Properties {
  private static final Pattern KEY = Pattern.compile("[a-z][a-z0-9_]*(\\.[a-z0-9_]+)*");
  private static final int MAX_KEY_LENGTH = 256;

  /** No properties. */
  public static final Properties EMPTY = new Properties(Map.of());

  private final Map<String, PropertyValue> values;

  private Properties(Map<String, PropertyValue> values) {
    this.values = Collections.unmodifiableMap(new TreeMap<>(values));
  }

  /** A builder of properties. */
  public static Builder builder() {
    return new Builder();
  }

  /** The value of {@code key}, or empty when there is none. */
  public Optional<PropertyValue> get(String key) {
    return Optional.ofNullable(values.get(key));
  }

  /** All properties, sorted by key. */
  public Map<String, PropertyValue> asMap() {
    return values;
  }

  static boolean isKey(String key) {
    return key != null && key.length() <= MAX_KEY_LENGTH && KEY.matcher(key).matches();
  }

  static String checkKey(String key) {
    if (!isKey(key)) {
      throw new InvalidRequestException(
          "INVALID_PROPERTY",
          "'" + key + "' is not a property key: use lower-case words joined by dots, such as fedgrid.inf.mem.gib");
    }
    return key;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Properties p && values.equals(p.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return values.toString();
  }

  /** Collects properties; a later value for a key replaces an earlier one. Not thread-safe. */
  public static final class Builder {
    private final Map<String, PropertyValue> values = new TreeMap<>();

    private Builder() {}

    public Builder put(String key, PropertyValue value) {
      values.put(checkKey(key), Objects.requireNonNull(value, "value"));
      return this;
    }

    public Builder put(String key, long value) {
      return put(key, new PropertyValue.Num(BigDecimal.valueOf(value)));
    }

    /** @throws InvalidRequestException when {@code value} is NaN or infinite */
    public Builder put(String key, double value) {
      return put(key, PropertyValue.of(value));
    }

    public Builder put(String key, String value) {
      return put(key, new PropertyValue.Text(value));
    }

    public Builder put(String key, boolean value) {
      return put(key, new PropertyValue.Bool(value));
    }

    public Builder put(String key, List<String> values) {
      return put(key, new PropertyValue.TextList(values));
    }

    public Properties build() {
      return new Properties(values);
    }
  }
}
