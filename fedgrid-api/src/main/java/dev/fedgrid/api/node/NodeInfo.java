package dev.fedgrid.api.node;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import java.time.Instant;

/**
 * A node as the gateway sees it.
 *
 * @param name the name the node's operator gave it
 * @param cores CPU cores the node reports
 * @param memoryMib memory the node reports
 * @param version the FedGrid version the node runs
 * @param lastSeenAt last heartbeat or call
 * @param currentJob the job it is working for, or {@code null} when free
 */
public record NodeInfo(
    NodeId id,
    String name,
    NodeStatus status,
    int cores,
    long memoryMib,
    String version,
    Instant registeredAt,
    Instant lastSeenAt,
    JobId currentJob) {}
