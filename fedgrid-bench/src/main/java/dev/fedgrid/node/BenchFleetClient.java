package dev.fedgrid.node;

import dev.fedgrid.api.JobId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.TaskId;
import dev.fedgrid.proto.fleet.v1.Task;
import dev.fedgrid.proto.fleet.v1.TaskKind;
import dev.fedgrid.proto.fleet.v1.UpdateHeader;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;

/**
 * The node's own fleet client ({@link GatewayClient}, package-private in {@code fedgrid-node}) for
 * {@code dev.fedgrid.bench.FleetTransferBenchmark}, so the benchmark streams parameters through the
 * code a node runs rather than a copy of it. It sits in the node's package inside {@code
 * fedgrid-bench} (a split package, which the class path allows) and is not part of FedGrid.
 *
 * <p>Thread-safe, as {@link GatewayClient} is.
 */
public final class BenchFleetClient implements AutoCloseable {
  private final GatewayClient client;

  /** Dials {@code host:port} in plaintext and presents {@code node} and {@code token} on every call. */
  public BenchFleetClient(String host, int port, NodeId node, String token) {
    NodeConfig config = NodeConfig.builder()
        .gateway(host, port)
        .nodeName("bench")
        .dataDir(Path.of(System.getProperty("java.io.tmpdir")))
        .dataset(DatasetOption.parse("name=bench,path=unused,format=idx"))
        .build();
    client = new GatewayClient(config, "bench", null);
    client.authenticateAs(new NodeIdentity(node, token, config.gateway()));
  }

  /** Streams a fit task's starting parameters, as {@code TaskRunner} does before training. */
  public byte[] fetch(TaskId task, JobId job, int round, Duration timeout) {
    Task t = Task.newBuilder().setTaskId(task.value()).setJobId(job.value()).setRound(round).setKind(TaskKind.TASK_KIND_FIT).build();
    return client.fetchParameters(t, Instant.now().plus(timeout));
  }

  /** Pushes a fit result of {@code examples} examples, as {@code TaskRunner} does after training. */
  public void push(TaskId task, JobId job, int round, byte[] update, long examples, Duration timeout) throws InterruptedException {
    UpdateHeader header = UpdateHeader.newBuilder()
        .setTaskId(task.value()).setJobId(job.value()).setRound(round).setKind(TaskKind.TASK_KIND_FIT)
        .setExamples(examples).setTotalSize(update.length).build();
    client.pushUpdate(header, update, Instant.now().plus(timeout));
  }

  @Override
  public void close() {
    client.close();
  }
}
