package dev.fedgrid.gateway.payments;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * The id of a ledger account: a kind and the id of what it belongs to, such as {@code user:ana},
 * {@code node:node_01…}, {@code allocation:alc_01…} or {@code system:mint} (the one account that may
 * go below zero: every amount in the ledger was minted from it).
 */
public record AccountId(String value) implements Comparable<AccountId> {
  private static final Pattern FORM = Pattern.compile("(system|user|node|allocation):[A-Za-z0-9._@-]{1,128}");

  /** The system account that deposits are minted from. */
  public static final AccountId SYSTEM = new AccountId("system:mint");

  /** @throws InvalidRequestException {@code INVALID_ACCOUNT} when not {@code kind:id} of a known kind */
  public AccountId {
    if (value == null || !FORM.matcher(value).matches()) {
      throw new InvalidRequestException(
          "INVALID_ACCOUNT",
          "'" + value + "' is not a ledger account: expected user:<name>, node:<node id>, allocation:<allocation id> or system:mint",
          Map.of("field", "account"));
    }
  }

  public static AccountId of(String value) {
    return new AccountId(value);
  }

  /** The account of user {@code name}. */
  public static AccountId user(String name) {
    return new AccountId("user:" + name);
  }

  /** The account of node {@code nodeId} (wire form), where a provider is paid. */
  public static AccountId node(String nodeId) {
    return new AccountId("node:" + nodeId);
  }

  /** The account holding allocation {@code allocationId} (wire form). */
  public static AccountId allocation(String allocationId) {
    return new AccountId("allocation:" + allocationId);
  }

  /** The part before the colon: {@code system}, {@code user}, {@code node} or {@code allocation}. */
  public String kind() {
    return value.substring(0, value.indexOf(':'));
  }

  /** The part after the colon. */
  public String owner() {
    return value.substring(value.indexOf(':') + 1);
  }

  @Override
  public int compareTo(AccountId other) {
    return value.compareTo(other.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
