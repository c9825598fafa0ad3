package dev.fedgrid.gateway.reports;

/** Escaping for HTML and SVG text and attribute values. Stateless and thread-safe. */
final class Html {
  private Html() {}

  /**
   * The text with {@code & < > " '} replaced by character references, safe inside an element and
   * inside a quoted attribute value. Every string that comes from a user or a node goes through this.
   */
  static String escape(String text) {
    if (text == null) return "";
    var out = new StringBuilder(text.length() + 16);
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      switch (c) {
        case '&' -> out.append("&amp;");
        case '<' -> out.append("&lt;");
        case '>' -> out.append("&gt;");
        case '"' -> out.append("&quot;");
        case '\'' -> out.append("&#39;");
        default -> out.append(c);
      }
    }
    return out.toString();
  }
}
