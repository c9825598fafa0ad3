package dev.fedgrid.gateway.fleet;

import static org.assertj.core.api.Assertions.assertThat;

import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.UserId;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.node.IssuedJoinToken;
import dev.fedgrid.api.node.JoinTokenState;
import dev.fedgrid.gateway.access.JoinTokens;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.state.NodeRecord;
import dev.fedgrid.gateway.state.SqlStateStore;
import dev.fedgrid.proto.fleet.v1.FleetGrpc;
import dev.fedgrid.proto.fleet.v1.RegisterRequest;
import dev.fedgrid.proto.fleet.v1.RegisterResponse;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Enrolment over the wire: a real fleet server on loopback in front of a real coordinator on
 * SQLite, called with plain gRPC stubs the way a node calls them.
 */
class FleetEnrolmentTest {
  private static final Principal ADMIN = new Principal(UserId.random(), "ada", "administrator", Set.of(Permission.MANAGE_INFRASTRUCTURE));
  private static final CoordinatorOptions FAST =
      new CoordinatorOptions(Duration.ofMillis(200), Duration.ofMillis(1500), Duration.ofMillis(500), Duration.ofMillis(50));

  @TempDir Path dir;
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.now());
  private final InstantSource clock = () -> now.get();
  private SqlStateStore store;
  private AuditLog audit;
  private JoinTokens tokens;
  private Coordinator coordinator;
  private FleetServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    store = SqlStateStore.sqlite(dir.resolve("gateway.db"));
    audit = new AuditLog(store.database(), clock);
    tokens = new JoinTokens(store.database(), audit, clock);
    coordinator = new Coordinator(store, audit, clock, FAST);
    coordinator.start();
    server = FleetServer.start(coordinator, "127.0.0.1", 0, FleetServerOptions.defaults());
    channel = NettyChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
    coordinator.close();
    store.close();
  }

  @Test
  void aNewNodeWithoutAJoinTokenIsRefusedAndNothingIsStored() {
    StatusRuntimeException e = refused(() -> stub().register(hello("hospital-a").build()), Status.Code.UNAUTHENTICATED, "JOIN_TOKEN_REQUIRED");
    assertThat(e.getStatus().getDescription())
        .contains("node 'hospital-a' is new to this gateway and presented no join token")
        .contains("fedgrid node join-token create --name hospital-a");
    assertThat(store.nodes()).isEmpty();
    assertThat(store.datasets(Optional.empty())).isEmpty();
  }

  @Test
  void aNodeEnrolsOnceAndReturnsWithItsNodeTokenAlone() {
    IssuedJoinToken issued = tokens.issue(ADMIN, Optional.of("hospital-a"), Duration.ofHours(1));
    RegisterResponse first = stub().register(hello("hospital-a").setJoinToken(issued.token()).build());
    NodeId node = NodeId.of(first.getNodeId());
    assertThat(first.getDatasetsCount()).isEqualTo(1);
    assertThat(tokens.list().getFirst().state()).isEqualTo(JoinTokenState.USED);
    assertThat(tokens.list().getFirst().nodeId()).isEqualTo(node);
    assertThat(audit.events(AuditQuery.all(100))).filteredOn(a -> a.action().equals("node.enrolled"))
        .singleElement().satisfies(a -> assertThat(a.actor()).isEqualTo("node:" + node));

    // a restart: the saved id and node token, no join token
    RegisterResponse again = stub().register(hello("hospital-a").setNodeId(first.getNodeId()).setNodeToken(first.getNodeToken()).build());
    assertThat(again.getNodeId()).isEqualTo(first.getNodeId());
    // a node that keeps sending its spent join token is still recognised by its identity
    RegisterResponse withOldToken = stub().register(
        hello("hospital-a").setNodeId(first.getNodeId()).setNodeToken(first.getNodeToken()).setJoinToken(issued.token()).build());
    assertThat(withOldToken.getNodeId()).isEqualTo(first.getNodeId());

    // but the token enrols nobody else, and a node that lost its identity needs a new one
    assertThat(refused(() -> stub().register(hello("hospital-a").setJoinToken(issued.token()).build()), Status.Code.UNAUTHENTICATED, "JOIN_TOKEN_USED")
        .getStatus().getDescription()).contains("was already used").contains(issued.id().value());
    assertThat(refused(
        () -> stub().register(hello("hospital-a").setNodeId(NodeId.random().value()).setNodeToken("lost").build()),
        Status.Code.UNAUTHENTICATED, "JOIN_TOKEN_REQUIRED").getStatus().getDescription()).contains("saved identity");
    assertThat(store.nodes()).extracting(NodeRecord::id).containsExactly(node);
  }

  @Test
  void refusesTokensForAnotherNameExpiredRevokedAndUnknown() {
    IssuedJoinToken forA = tokens.issue(ADMIN, Optional.of("hospital-a"), Duration.ofHours(1));
    IssuedJoinToken revoked = tokens.issue(ADMIN, Optional.empty(), Duration.ofHours(1));
    tokens.revoke(ADMIN, revoked.id());

    assertThat(refused(() -> stub().register(hello("hospital-b").setJoinToken(forA.token()).build()), Status.Code.PERMISSION_DENIED, "JOIN_TOKEN_NAME_MISMATCH")
        .getStatus().getDescription()).contains("only a node named 'hospital-a', not 'hospital-b'");
    refused(() -> stub().register(hello("hospital-b").setJoinToken(revoked.token()).build()), Status.Code.UNAUTHENTICATED, "JOIN_TOKEN_REVOKED");
    refused(() -> stub().register(hello("hospital-b").setJoinToken("fgj_" + "A".repeat(43)).build()), Status.Code.UNAUTHENTICATED, "JOIN_TOKEN_INVALID");
    now.set(forA.expiresAt());
    refused(() -> stub().register(hello("hospital-a").setJoinToken(forA.token()).build()), Status.Code.UNAUTHENTICATED, "JOIN_TOKEN_EXPIRED");
    assertThat(store.nodes()).isEmpty();
  }

  @Test
  void ofNodesRacingOverTheWireWithOneTokenExactlyOneEnrols() throws Exception {
    IssuedJoinToken issued = tokens.issue(ADMIN, Optional.empty(), Duration.ofHours(1));
    int racers = 8;
    var go = new CountDownLatch(1);
    var enrolled = new ConcurrentLinkedQueue<String>();
    var refusals = new ConcurrentLinkedQueue<String>();
    var threads = new ArrayList<Thread>();
    for (int i = 0; i < racers; i++) {
      String name = "racer-" + i;
      threads.add(Thread.ofVirtual().start(() -> {
        try {
          go.await();
          enrolled.add(stub().register(hello(name).setJoinToken(issued.token()).build()).getNodeId());
        } catch (StatusRuntimeException e) {
          refusals.add(e.getStatus().getCode() + " " + code(e));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    go.countDown();
    for (Thread t : threads) t.join(Duration.ofSeconds(20));

    assertThat(enrolled).hasSize(1);
    assertThat(refusals).hasSize(racers - 1).containsOnly("UNAUTHENTICATED JOIN_TOKEN_USED");
    assertThat(store.nodes()).extracting(n -> n.id().value()).containsExactly(enrolled.peek());
    assertThat(store.datasets(Optional.empty())).hasSize(1);
  }

  // ---- helpers ----

  private FleetGrpc.FleetBlockingStub stub() {
    return FleetGrpc.newBlockingStub(channel).withDeadlineAfter(10, TimeUnit.SECONDS);
  }

  private static RegisterRequest.Builder hello(String name) {
    return RegisterRequest.newBuilder().setName(name).setCores(2).setMemoryMib(1024).setVersion("test")
        .addDatasetMetadataJson(FleetMessages.toJson(FleetServerTest.metadata()));
  }

  private static String code(StatusRuntimeException e) {
    return e.getTrailers() == null ? null : e.getTrailers().get(FleetErrors.CODE_KEY);
  }

  private static StatusRuntimeException refused(Runnable call, Status.Code status, String code) {
    StatusRuntimeException e = (StatusRuntimeException) org.assertj.core.api.Assertions.catchThrowable(call::run);
    assertThat(e).as("expected %s %s", status, code).isNotNull();
    assertThat(e.getStatus().getCode()).isEqualTo(status);
    assertThat(code(e)).isEqualTo(code);
    byte[] message = e.getTrailers().get(FleetErrors.MESSAGE_KEY);
    assertThat(new String(message, StandardCharsets.UTF_8)).isNotBlank();
    return e;
  }
}
