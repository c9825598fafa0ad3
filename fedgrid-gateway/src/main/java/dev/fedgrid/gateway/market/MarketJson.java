package dev.fedgrid.gateway.market;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.gateway.market.MarketViews.DemandTerms;
import dev.fedgrid.gateway.market.MarketViews.OfferTerms;
import dev.fedgrid.gateway.market.MarketViews.Price;
import dev.fedgrid.market.Constraint;
import dev.fedgrid.market.Demand;
import dev.fedgrid.market.Money;
import dev.fedgrid.market.Offer;
import dev.fedgrid.market.PriceModel;
import dev.fedgrid.market.Properties;
import dev.fedgrid.market.PropertyValue;
import dev.fedgrid.market.Usage;
import dev.fedgrid.market.UsageCounter;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * Converts the market's wire form ({@link MarketViews}) to fedgrid-market's types and back. Reading
 * checks everything the domain checks (keys, constraint syntax with its column, amounts that are
 * negative, NaN or finer than 18 decimals) and names the field; writing gives the canonical form,
 * which is also what the database stores. Stateless.
 */
final class MarketJson {
  /** The constraint that always holds, used when none is given. */
  static final String ANY = "(&)";

  private MarketJson() {}

  static Offer offer(OfferTerms t) {
    if (t.node() == null || t.node().isBlank()) throw field("node", "'node' is required: the id of the node that offers (node_...)");
    return new Offer(t.node(), properties(t.properties()), constraint(t.constraints()), price(t.price(), "price"));
  }

  static OfferTerms terms(Offer o) {
    return new OfferTerms(o.providerNodeId(), properties(o.properties()), o.constraints().toString(), price(o.pricing()));
  }

  static Demand demand(DemandTerms t) {
    if (t.job() == null || t.job().isBlank()) throw field("job", "'job' is required: the id of the job that needs compute (job_...)");
    if (t.budget() == null) throw field("budget", "'budget' is required: the most the job pays in all, such as \"10\"");
    return new Demand(t.job(), properties(t.properties()), constraint(t.constraints()), price(t.maxPrice(), "maxPrice"), money(t.budget(), "budget"),
        usage(t.expectedUsage()));
  }

  static DemandTerms terms(Demand d) {
    var usage = new TreeMap<String, Long>();
    d.expectedUsage().counts().forEach((c, n) -> usage.put(counterName(c), n));
    return new DemandTerms(d.jobId(), properties(d.properties()), d.constraints().toString(), price(d.maxPrice()), d.budget().toString(), usage);
  }

  /** Parses a constraint; none or blank is {@link #ANY}. */
  static Constraint constraint(String text) {
    return Constraint.parse(text == null || text.isBlank() ? ANY : text);
  }

  /** Parses an amount, naming {@code field} when it is missing, negative, NaN or too fine. */
  static Money money(String value, String field) {
    if (value == null) throw field(field, "'" + field + "' is required: a decimal amount such as \"0.25\"");
    try {
      return Money.of(value);
    } catch (InvalidRequestException e) {
      throw new InvalidRequestException(e.code(), field + ": " + e.getMessage(), Map.of("field", field));
    }
  }

  static Properties properties(Map<String, Object> values) {
    if (values == null) return Properties.EMPTY;
    var b = Properties.builder();
    for (var e : values.entrySet()) {
      String key = e.getKey();
      Object v = e.getValue();
      PropertyValue value = switch (v) {
        case Boolean x -> new PropertyValue.Bool(x);
        case String x -> new PropertyValue.Text(x);
        case Integer x -> new PropertyValue.Num(BigDecimal.valueOf(x));
        case Long x -> new PropertyValue.Num(BigDecimal.valueOf(x));
        case BigDecimal x -> new PropertyValue.Num(x);
        case Double x when Double.isFinite(x) -> new PropertyValue.Num(BigDecimal.valueOf(x));
        case Number x -> new PropertyValue.Num(new BigDecimal(x.toString()));
        case List<?> list when list.stream().allMatch(String.class::isInstance) -> new PropertyValue.TextList(list.stream().map(String.class::cast).toList());
        case null, default -> throw field("properties." + key,
            "property " + key + " must be a number, a string, a boolean or a list of strings, got " + (v == null ? "null" : v.getClass().getSimpleName()));
      };
      b.put(key, value);
    }
    return b.build();
  }

  static Map<String, Object> properties(Properties p) {
    var out = new TreeMap<String, Object>();
    p.asMap().forEach((k, v) -> out.put(k, switch (v) {
      case PropertyValue.Num n -> n.value().stripTrailingZeros();
      case PropertyValue.Text t -> t.value();
      case PropertyValue.Bool b -> b.value();
      case PropertyValue.TextList l -> l.values();
    }));
    return out;
  }

  static PriceModel price(Price p, String field) {
    if (p == null) return PriceModel.FREE;
    PriceModel model = PriceModel.fixed(p.fixed() == null ? Money.ZERO : money(p.fixed(), field + ".fixed"));
    if (p.perUnit() != null) {
      for (var e : p.perUnit().entrySet()) model = model.with(counter(e.getKey(), field + ".perUnit"), money(e.getValue(), field + ".perUnit." + e.getKey()));
    }
    return model;
  }

  static Price price(PriceModel m) {
    var perUnit = new LinkedHashMap<String, String>();
    m.coefficients().forEach((c, v) -> perUnit.put(counterName(c), v.toString()));
    return new Price(m.fixed().toString(), perUnit);
  }

  static Usage usage(Map<String, Long> counts) {
    Usage u = Usage.NONE;
    if (counts != null) for (var e : counts.entrySet()) u = u.with(counter(e.getKey(), "expectedUsage"), e.getValue() == null ? -1 : e.getValue());
    return u;
  }

  static UsageCounter counter(String name, String field) {
    for (UsageCounter c : UsageCounter.values()) if (counterName(c).equals(name)) return c;
    var names = new ArrayList<String>();
    for (UsageCounter c : UsageCounter.values()) names.add(counterName(c));
    throw field(field, "'" + name + "' is not a usage counter; use one of " + String.join(", ", names));
  }

  static String counterName(UsageCounter c) {
    return c.name().toLowerCase(Locale.ROOT);
  }

  static InvalidRequestException field(String field, String message) {
    return new InvalidRequestException("INVALID_FIELD", message, Map.of("field", field));
  }
}
