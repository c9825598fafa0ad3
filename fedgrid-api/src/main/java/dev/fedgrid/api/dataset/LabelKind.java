package dev.fedgrid.api.dataset;

import com.fasterxml.jackson.annotation.JsonProperty;

/** Whether a label is a class (0..k-1) or a real number. */
public enum LabelKind {
  @JsonProperty("categorical")
  CATEGORICAL,
  @JsonProperty("continuous")
  CONTINUOUS
}
