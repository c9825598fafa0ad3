package dev.fedgrid.sim;

import java.util.Locale;

/**
 * What a Byzantine node does to its update {@code u = local - global} before sending it.
 *
 * @param kind the attack
 * @param magnitude the scale factor for {@code SCALE}, the noise's standard deviation for {@code
 *     NOISE}; ignored for {@code SIGN_FLIP}
 */
public record Attack(Kind kind, double magnitude) {
  public enum Kind {
    /** Sends {@code global - u}. */
    SIGN_FLIP,
    /** Sends {@code global + magnitude u}. */
    SCALE,
    /** Sends {@code local + N(0, magnitude^2)} per coordinate. */
    NOISE
  }

  /** Parses {@code sign-flip}, {@code scale[:F]} (default 10) or {@code noise[:SIGMA]} (default 1). */
  public static Attack parse(String text) {
    String[] parts = text.strip().toLowerCase(Locale.ROOT).split(":", 2);
    return switch (parts[0]) {
      case "sign-flip", "signflip", "flip" -> new Attack(Kind.SIGN_FLIP, 1);
      case "scale" -> new Attack(Kind.SCALE, parts.length > 1 ? Double.parseDouble(parts[1]) : 10);
      case "noise" -> new Attack(Kind.NOISE, parts.length > 1 ? Double.parseDouble(parts[1]) : 1);
      default -> throw new IllegalArgumentException("unknown attack '" + text + "'; use sign-flip, scale[:F] or noise[:SIGMA]");
    };
  }

  @Override
  public String toString() {
    return switch (kind) {
      case SIGN_FLIP -> "sign-flip";
      case SCALE -> "scale:" + magnitude;
      case NOISE -> "noise:" + magnitude;
    };
  }
}
