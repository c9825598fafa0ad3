package dev.fedgrid.api.dataset;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * Who may see results computed on a dataset. Rows never leave a node either way: {@code public}
 * datasets may be trained on by anyone and their results seen by anyone; results computed on
 * {@code private} datasets leave only after a release request is approved.
 */
public enum Visibility {
  @JsonProperty("public")
  PUBLIC,
  @JsonProperty("private")
  PRIVATE
}
