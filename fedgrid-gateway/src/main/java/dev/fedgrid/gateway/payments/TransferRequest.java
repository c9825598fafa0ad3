package dev.fedgrid.gateway.payments;

import dev.fedgrid.api.InvalidRequestException;
import dev.fedgrid.market.Money;
import java.util.Map;
import java.util.Objects;

/**
 * A transfer to book: move {@code amount} from {@code from} to {@code to}, once per {@code
 * reference}.
 *
 * @param reference the idempotency key, 1 to 200 characters: asking again with the same reference
 *     and the same accounts and amount returns the transfer booked the first time
 * @throws InvalidRequestException {@code INVALID_TRANSFER} for a blank or long reference, a zero
 *     amount or the same account on both sides
 */
public record TransferRequest(String reference, AccountId from, AccountId to, Money amount, String memo) {
  public static final int MAX_REFERENCE = 200;

  public TransferRequest {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(amount, "amount");
    memo = memo == null ? "" : memo;
    if (reference == null || reference.isBlank() || reference.length() > MAX_REFERENCE) {
      throw new InvalidRequestException(
          "INVALID_TRANSFER", "a transfer needs a reference of 1 to " + MAX_REFERENCE + " characters, its idempotency key", Map.of("field", "reference"));
    }
    if (amount.isZero()) {
      throw new InvalidRequestException("INVALID_TRANSFER", "a transfer moves a positive amount, got 0", Map.of("field", "amount"));
    }
    if (from.equals(to)) {
      throw new InvalidRequestException("INVALID_TRANSFER", "a transfer needs two different accounts, got " + from + " twice", Map.of("field", "to"));
    }
  }
}
