package dev.fedgrid.gateway.state;

import dev.fedgrid.api.NodeId;
import java.time.Instant;

/**
 * A registered node as stored. {@code tokenHash} is the SHA-256 of the node's secret session
 * token (the token itself is never stored or logged).
 */
public record NodeRecord(
    NodeId id,
    String name,
    int cores,
    long memoryMib,
    String version,
    byte[] tokenHash,
    Instant registeredAt,
    Instant lastSeenAt) {}
