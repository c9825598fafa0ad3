package dev.fedgrid.gateway.access;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.fedgrid.api.ConflictException;
import dev.fedgrid.api.FedGridException;
import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.api.JoinTokenId;
import dev.fedgrid.api.NodeId;
import dev.fedgrid.api.NotFoundException;
import dev.fedgrid.api.PermissionDeniedException;
import dev.fedgrid.api.UnauthenticatedException;
import dev.fedgrid.api.UserId;
import dev.fedgrid.api.governance.AuditEvent;
import dev.fedgrid.api.governance.Permission;
import dev.fedgrid.api.node.IssuedJoinToken;
import dev.fedgrid.api.node.JoinToken;
import dev.fedgrid.api.node.JoinTokenState;
import dev.fedgrid.gateway.audit.AuditLog;
import dev.fedgrid.gateway.audit.AuditQuery;
import dev.fedgrid.gateway.fleet.NodeHello;
import dev.fedgrid.gateway.state.SqlDatabase;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.ResultSet;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Join tokens over a real SQLite database and audit ledger, with a clock the test moves. */
class JoinTokensTest {
  static final Principal ADMIN = new Principal(UserId.random(), "ada", "administrator", Set.of(Permission.MANAGE_INFRASTRUCTURE));
  static final Principal SCIENTIST = new Principal(UserId.random(), "sam", "data-scientist", Set.of(Permission.MAKE_DATA_REQUESTS));

  @TempDir Path dir;
  private final AtomicReference<Instant> now = new AtomicReference<>(Instant.parse("2026-11-03T12:00:00Z"));
  private final InstantSource clock = () -> now.get();
  private SqlDatabase db;
  private AuditLog audit;
  private JoinTokens tokens;

  @BeforeEach
  void open() {
    db = SqlDatabase.sqlite(dir.resolve("gateway.db"));
    audit = new AuditLog(db, clock);
    tokens = new JoinTokens(db, audit, clock);
  }

  @AfterEach
  void close() {
    db.close();
  }

  @Test
  void issuesASecretOnceAndStoresOnlyItsHash() throws Exception {
    IssuedJoinToken issued = tokens.issue(ADMIN, Optional.of("hospital-a"), JoinTokens.DEFAULT_LIFETIME);

    assertThat(issued.token()).matches("fgj_[A-Za-z0-9_-]{43}");
    assertThat(issued.expiresAt()).isEqualTo(now.get().plus(Duration.ofHours(24)));
    assertThat(issued.nodeName()).isEqualTo("hospital-a");
    assertThat(issued.toString()).doesNotContain(issued.token());
    assertThat(tokens.issue(ADMIN, Optional.empty(), Duration.ofHours(1)).token()).isNotEqualTo(issued.token());

    String row = db.transact("read", () -> {
      try (ResultSet r = db.statement("SELECT * FROM join_tokens WHERE id = '" + issued.id() + "'").executeQuery()) {
        r.next();
        var text = new StringBuilder();
        for (int c = 1; c <= r.getMetaData().getColumnCount(); c++) text.append(r.getString(c)).append('|');
        return text.toString();
      }
    });
    assertThat(row).doesNotContain(issued.token()).doesNotContain(issued.token().substring(4)).contains(JoinTokens.hash(issued.token()));
    try (var files = Files.list(dir)) { // the database file and its write-ahead log
      for (Path f : files.toList()) assertThat(Files.readAllBytes(f)).asString().doesNotContain(issued.token().substring(4));
    }

    List<AuditEvent> created = audit.events(AuditQuery.all(1000));
    assertThat(created).extracting(AuditEvent::action).containsExactly("node.join-token.created", "node.join-token.created");
    assertThat(created.getFirst().actor()).isEqualTo("ada");
    assertThat(created.getFirst().target()).isEqualTo(issued.id().value());
    assertThat(created.getFirst().details()).containsEntry("nodeName", "hospital-a").doesNotContainValue(issued.token());
  }

  @Test
  void refusesIssuersWithoutThePermissionAndBadLifetimesOrNames() {
    assertThatThrownBy(() -> tokens.issue(SCIENTIST, Optional.empty(), Duration.ofHours(1)))
        .isInstanceOf(PermissionDeniedException.class).hasMessageContaining("can_manage_infrastructure");
    assertThatThrownBy(() -> tokens.issue(ADMIN, Optional.empty(), Duration.ofHours(721)))
        .isInstanceOf(InvalidRequestException.class).hasMessageContaining("1 to 720 hours");
    assertThatThrownBy(() -> tokens.issue(ADMIN, Optional.empty(), Duration.ZERO)).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> tokens.issue(ADMIN, Optional.of(" "), Duration.ofHours(1))).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> tokens.issue(ADMIN, Optional.of("a\u0000b"), Duration.ofHours(1))).isInstanceOf(InvalidRequestException.class);
    assertThatThrownBy(() -> tokens.revoke(SCIENTIST, JoinTokenId.random())).isInstanceOf(PermissionDeniedException.class);
    assertThat(tokens.list()).isEmpty();
    assertThat(audit.events(AuditQuery.all(1000))).isEmpty();
  }

  @Test
  void aTokenEnrolsOneNodeAndIsThenUsed() {
    IssuedJoinToken issued = tokens.issue(ADMIN, Optional.empty(), Duration.ofHours(2));
    NodeId node = NodeId.random();
    AtomicInteger stored = new AtomicInteger();

    assertThat(tokens.enrol(hello("hospital-a", issued.token()), node, stored::incrementAndGet)).isEqualTo(1);

    JoinToken used = tokens.list().getFirst();
    assertThat(used.state()).isEqualTo(JoinTokenState.USED);
    assertThat(used.nodeId()).isEqualTo(node);
    assertThat(used.usedAt()).isEqualTo(now.get());
    AuditEvent enrolled = audit.events(AuditQuery.all(1000)).getLast();
    assertThat(enrolled.action()).isEqualTo("node.enrolled");
    assertThat(enrolled.actor()).isEqualTo("node:" + node);
    assertThat(enrolled.details()).containsEntry("joinToken", issued.id().value()).containsEntry("issuedBy", "ada").containsEntry("name", "hospital-a");

    assertRefused(() -> tokens.enrol(hello("hospital-b", issued.token()), NodeId.random(), stored::incrementAndGet), "JOIN_TOKEN_USED");
    assertThat(stored).hasValue(1);
  }

  @Test
  void refusesMissingUnknownExpiredRevokedAndOtherNamesWithoutStoringAnything() {
    AtomicInteger stored = new AtomicInteger();
    IssuedJoinToken forA = tokens.issue(ADMIN, Optional.of("hospital-a"), Duration.ofHours(1));
    IssuedJoinToken revoked = tokens.issue(ADMIN, Optional.empty(), Duration.ofHours(1));
    tokens.revoke(ADMIN, revoked.id());
    IssuedJoinToken shortLived = tokens.issue(ADMIN, Optional.empty(), Duration.ofHours(1));
    int events = audit.events(AuditQuery.all(1000)).size();

    assertThat(assertRefused(() -> tokens.enrol(hello("hospital-a", null), NodeId.random(), stored::incrementAndGet), "JOIN_TOKEN_REQUIRED"))
        .isInstanceOf(UnauthenticatedException.class)
        .hasMessageContaining("fedgrid node join-token create --name hospital-a").hasMessageContaining("--join-token");
    assertRefused(() -> tokens.enrol(hello("hospital-a", "fgj_" + "x".repeat(43)), NodeId.random(), stored::incrementAndGet), "JOIN_TOKEN_INVALID");
    assertThat(assertRefused(() -> tokens.enrol(hello("hospital-a", "fgt_abc"), NodeId.random(), stored::incrementAndGet), "JOIN_TOKEN_INVALID"))
        .hasMessageContaining("not a join token");
    assertThat(assertRefused(() -> tokens.enrol(hello("hospital-b", forA.token()), NodeId.random(), stored::incrementAndGet), "JOIN_TOKEN_NAME_MISMATCH"))
        .isInstanceOf(PermissionDeniedException.class).hasMessageContaining("only a node named 'hospital-a'");
    assertThat(assertRefused(() -> tokens.enrol(hello("hospital-b", revoked.token()), NodeId.random(), stored::incrementAndGet), "JOIN_TOKEN_REVOKED"))
        .hasMessageContaining(revoked.id().value());
    now.set(now.get().plus(Duration.ofHours(1))); // expiry is exclusive: at expiresAt the token is dead
    assertThat(assertRefused(() -> tokens.enrol(hello("hospital-c", shortLived.token()), NodeId.random(), stored::incrementAndGet), "JOIN_TOKEN_EXPIRED"))
        .hasMessageContaining("expired at " + shortLived.expiresAt());

    assertThat(stored).hasValue(0);
    assertThat(audit.events(AuditQuery.all(1000))).hasSize(events);
    // newest first by id; ids issued in the same millisecond sort arbitrarily among themselves
    assertThat(tokens.list()).extracting(JoinToken::id, JoinToken::state).containsExactlyInAnyOrder(
        org.assertj.core.groups.Tuple.tuple(shortLived.id(), JoinTokenState.EXPIRED),
        org.assertj.core.groups.Tuple.tuple(revoked.id(), JoinTokenState.REVOKED),
        org.assertj.core.groups.Tuple.tuple(forA.id(), JoinTokenState.EXPIRED));
  }

  @Test
  void aNodeThatCannotBeStoredLeavesItsTokenUnused() {
    IssuedJoinToken issued = tokens.issue(ADMIN, Optional.empty(), Duration.ofHours(1));
    assertThatThrownBy(() -> tokens.enrol(hello("hospital-a", issued.token()), NodeId.random(), () -> {
      throw new IllegalStateException("disk full");
    })).hasMessage("disk full");
    assertThat(tokens.list().getFirst().state()).isEqualTo(JoinTokenState.ACTIVE);
    assertThat(tokens.enrol(hello("hospital-a", issued.token()), NodeId.random(), () -> "stored")).isEqualTo("stored");
  }

  @Test
  void revokingIsIdempotentButAUsedTokenCannotBeRevoked() {
    IssuedJoinToken a = tokens.issue(ADMIN, Optional.empty(), Duration.ofHours(1));
    IssuedJoinToken b = tokens.issue(ADMIN, Optional.empty(), Duration.ofHours(1));

    JoinToken revoked = tokens.revoke(ADMIN, a.id());
    assertThat(revoked.state()).isEqualTo(JoinTokenState.REVOKED);
    assertThat(revoked.revokedAt()).isEqualTo(now.get());
    assertThat(tokens.revoke(ADMIN, a.id())).isEqualTo(revoked);
    assertThat(audit.events(AuditQuery.all(1000))).extracting(AuditEvent::action)
        .containsExactly("node.join-token.created", "node.join-token.created", "node.join-token.revoked");

    tokens.enrol(hello("n", b.token()), NodeId.random(), () -> null);
    assertThatThrownBy(() -> tokens.revoke(ADMIN, b.id())).isInstanceOf(ConflictException.class).hasMessageContaining("already enrolled node");
    assertThatThrownBy(() -> tokens.revoke(ADMIN, JoinTokenId.random())).isInstanceOf(NotFoundException.class)
        .extracting(e -> ((FedGridException) e).code()).isEqualTo("JOIN_TOKEN_NOT_FOUND");
  }

  @Test
  void ofNodesRacingWithOneTokenExactlyOneEnrols() throws Exception {
    IssuedJoinToken issued = tokens.issue(ADMIN, Optional.empty(), Duration.ofHours(1));
    int racers = 16;
    var start = new CountDownLatch(1);
    var enrolled = new ConcurrentLinkedQueue<NodeId>();
    var refused = new ConcurrentLinkedQueue<String>();
    var threads = new ArrayList<Thread>();
    for (int i = 0; i < racers; i++) {
      NodeId node = NodeId.random();
      threads.add(Thread.ofVirtual().start(() -> {
        try {
          start.await();
          tokens.enrol(hello("racer", issued.token()), node, () -> enrolled.add(node));
        } catch (FedGridException e) {
          refused.add(e.code());
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }));
    }
    start.countDown();
    for (Thread t : threads) t.join(Duration.ofSeconds(10));

    assertThat(enrolled).hasSize(1);
    assertThat(refused).hasSize(racers - 1).containsOnly("JOIN_TOKEN_USED");
    assertThat(tokens.list().getFirst().nodeId()).isEqualTo(enrolled.peek());
    assertThat(audit.events(AuditQuery.all(1000))).filteredOn(e -> e.action().equals("node.enrolled")).hasSize(1);
  }

  private static NodeHello hello(String name, String joinToken) {
    return new NodeHello(Optional.empty(), Optional.empty(), name, 2, 1024, "test", List.of(), Optional.ofNullable(joinToken));
  }

  private static FedGridException assertRefused(Runnable call, String code) {
    try {
      call.run();
    } catch (FedGridException e) {
      assertThat(e.code()).isEqualTo(code);
      return e;
    }
    throw new AssertionError("expected " + code + " but the call succeeded");
  }
}
