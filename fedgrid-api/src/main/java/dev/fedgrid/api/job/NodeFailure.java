package dev.fedgrid.api.job;

import dev.fedgrid.api.NodeId;

/**
 * A node that did not deliver in a round: which phase ({@code fit} or {@code evaluate}) and why
 * (timed out, disconnected, rejected update, training error).
 */
public record NodeFailure(NodeId node, String phase, String reason) {}
