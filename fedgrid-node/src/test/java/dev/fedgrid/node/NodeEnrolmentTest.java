package dev.fedgrid.node;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.UserId;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.gateway.access.JoinTokens;
import dev.fedgrid.gateway.access.Principal;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.fleet.FleetServer;
import dev.fedgrid.gateway.fleet.FleetServerOptions;
import dev.fedgrid.gateway.jobs.Coordinator;
import dev.fedgrid.gateway.jobs.CoordinatorOptions;
import dev.fedgrid.gateway.state.SqlStateStore;
import dev.fedgrid.ml.LocalData;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node enrolling with a real gateway core (coordinator and join tokens on SQLite behind the
 * fleet server on 127.0.0.1): refused and stopped without a token, enrolled with one, and back
 * after a restart with its saved identity alone.
 */
@Timeout(60)
class NodeEnrolmentTest {
  private static final Principal ADMIN = new Principal(UserId.random(), "ada", "administrator", Set.of(Permission.MANAGE_INFRASTRUCTURE));

  @TempDir Path dir;
  private SqlStateStore store;
  private JoinTokens tokens;
  private Coordinator coordinator;
  private FleetServer server;
  private NodeDaemon node;

  @BeforeEach
  void start() {
    store = SqlStateStore.sqlite(dir.resolve("gateway/gateway.db"));
    AuditLog audit = new AuditLog(store.database(), Clock.systemUTC());
    tokens = new JoinTokens(store.database(), audit, Clock.systemUTC());
    coordinator = new Coordinator(store, audit, Clock.systemUTC(),
        new CoordinatorOptions(Duration.ofMillis(200), Duration.ofSeconds(5), Duration.ofMillis(500), Duration.ofMillis(50)));
    coordinator.start();
    server = FleetServer.start(coordinator, "127.0.0.1", 0, FleetServerOptions.builder().shutdownTimeout(Duration.ofSeconds(2)).build());
  }

  @AfterEach
  void stop() {
    if (node != null) node.close();
    server.close();
    coordinator.close();
    store.close();
  }

  @Test
  void aNodeWithoutAJoinTokenIsRefusedWithWhatToDoAndStops() throws Exception {
    node = start(config("hospital-a", "a", null));
    assertThatThrownBy(() -> node.awaitRegistration(Duration.ofSeconds(15)))
        .isInstanceOf(UnauthenticatedException.class)
        .hasMessageContaining("refused to enrol node 'hospital-a'")
        .hasMessageContaining("presented no join token")
        .hasMessageContaining("fedgrid node join-token create --name hospital-a")
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("JOIN_TOKEN_REQUIRED");
    assertThat(node.awaitTermination(Duration.ofSeconds(10))).as("the node stops by itself").isTrue();
    assertThat(node.failure()).hasValueSatisfying(f -> assertThat(f.code()).isEqualTo("JOIN_TOKEN_REQUIRED"));
    assertThat(store.nodes()).isEmpty();
  }

  @Test
  void aNodeEnrolsOnceAndRestartsWithItsSavedIdentityAlone() throws Exception {
    String secret = tokens.issue(ADMIN, Optional.of("hospital-a"), Duration.ofHours(1)).token();
    node = start(config("hospital-a", "a", secret));
    NodeId id = node.awaitRegistration(Duration.ofSeconds(15));
    node.close();

    node = start(config("hospital-a", "a", null)); // restart: no token needed
    assertThat(node.awaitRegistration(Duration.ofSeconds(15))).isEqualTo(id);
    node.close();

    node = start(config("hospital-a", "a", secret)); // a spent token left in the environment does no harm
    assertThat(node.awaitRegistration(Duration.ofSeconds(15))).isEqualTo(id);
    node.close();

    node = start(config("hospital-a", "fresh", secret)); // but it enrols no second node
    assertThatThrownBy(() -> node.awaitRegistration(Duration.ofSeconds(15)))
        .isInstanceOf(UnauthenticatedException.class).hasMessageContaining("already used")
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("JOIN_TOKEN_USED");
    assertThat(store.nodes()).hasSize(1);
  }

  @Test
  void aTokenForAnotherNameIsRefusedWithTheNameToUse() throws Exception {
    String secret = tokens.issue(ADMIN, Optional.of("hospital-a"), Duration.ofHours(1)).token();
    node = start(config("hospital-b", "b", secret));
    assertThatThrownBy(() -> node.awaitRegistration(Duration.ofSeconds(15)))
        .isInstanceOf(PermissionDeniedException.class).hasMessageContaining("--name hospital-a");
  }

  @Test
  void theConfigurationRefusesWhatIsNoJoinTokenAndNeverShowsOne() {
    assertThatThrownBy(() -> config("n", "n", "fgt_" + "a".repeat(43))).isInstanceOf(InvalidRequestException.class)
        .hasMessageContaining("not a join token");
    String secret = "fgj_" + "b".repeat(43);
    NodeConfig config = config("n", "n", "  " + secret + "\n");
    assertThat(config.joinToken()).hasValue(secret);
    assertThat(config.toString()).doesNotContain(secret).contains("joinToken=(set)");
    assertThat(config("n", "n", " ").joinToken()).isEmpty();
  }

  private NodeDaemon start(NodeConfig config) {
    return NodeDaemon.start(config, () -> new NodeDaemonTest.PlusOneEngine(), NodeEnrolmentTest::load, false);
  }

  private NodeConfig config(String name, String dataDir, String joinToken) {
    return NodeConfig.builder()
        .gateway("127.0.0.1", server == null ? 7601 : server.port())
        .nodeName(name)
        .dataDir(dir.resolve("nodes").resolve(dataDir))
        .dataset(DatasetOption.parse("name=cancer,path=unused.csv,label=benign"))
        .pollWait(Duration.ofSeconds(1))
        .reconnectBackoff(Duration.ofMillis(50), Duration.ofMillis(500))
        .joinToken(joinToken)
        .build();
  }

  private static DatasetLoader.Loaded load(DatasetOption option) {
    return new DatasetLoader.Loaded(
        NodeDaemonTest.metadata(),
        new LocalData(List.of(2), new float[16], new float[] {0, 1, 0, 1, 0, 1, 0, 1}, 8),
        new LocalData(List.of(2), new float[4], new float[] {0, 1}, 2));
  }
}
