package dev.fedgrid.api.dataset;

import java.util.Locale;

/**
 * A search of the dataset catalogue by its metadata (never by rows): every given criterion must
 * match; {@code null} (or blank) criteria match everything.
 *
 * @param text case-insensitive part of the name, of a tag, of a feature column or of the label
 *     column ({@code ?q=})
 * @param name case-insensitive part of the name ({@code ?name=})
 * @param tag one of the tags, exactly ({@code ?tag=})
 * @param column the name of a feature column or of the label column, ignoring case ({@code
 *     ?column=})
 * @param visibility only public or only private datasets ({@code ?visibility=})
 */
public record DatasetQuery(String text, String name, String tag, String column, Visibility visibility) {
  public DatasetQuery {
    text = blankToNull(text);
    name = blankToNull(name);
    tag = blankToNull(tag);
    column = blankToNull(column);
  }

  /** Every dataset. */
  public static DatasetQuery all() {
    return new DatasetQuery(null, null, null, null, null);
  }

  public DatasetQuery withText(String text) {
    return new DatasetQuery(text, name, tag, column, visibility);
  }

  public DatasetQuery withName(String name) {
    return new DatasetQuery(text, name, tag, column, visibility);
  }

  public DatasetQuery withTag(String tag) {
    return new DatasetQuery(text, name, tag, column, visibility);
  }

  public DatasetQuery withColumn(String column) {
    return new DatasetQuery(text, name, tag, column, visibility);
  }

  public DatasetQuery withVisibility(Visibility visibility) {
    return new DatasetQuery(text, name, tag, column, visibility);
  }

  /** Whether a catalogue entry matches every criterion. */
  public boolean matches(DatasetInfo dataset) {
    DatasetMetadata m = dataset.metadata();
    if (name != null && !contains(m.name(), name)) return false;
    if (tag != null && !m.tags().contains(tag)) return false;
    if (visibility != null && m.visibility() != visibility) return false;
    if (column != null
        && !m.label().column().equalsIgnoreCase(column)
        && m.features().stream().noneMatch(c -> c.name().equalsIgnoreCase(column))) {
      return false;
    }
    if (text != null
        && !contains(m.name(), text)
        && m.tags().stream().noneMatch(t -> contains(t, text))
        && !contains(m.label().column(), text)
        && m.features().stream().noneMatch(c -> contains(c.name(), text))) {
      return false;
    }
    return true;
  }

  private static boolean contains(String value, String part) {
    return value.toLowerCase(Locale.ROOT).contains(part.toLowerCase(Locale.ROOT));
  }

  private static String blankToNull(String s) {
    return s == null || s.isBlank() ? null : s.strip();
  }
}
