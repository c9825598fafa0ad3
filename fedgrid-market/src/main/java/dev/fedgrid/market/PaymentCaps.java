package dev.fedgrid.market;

import dev.fedgrid.api.InvalidRequestException;
import java.util.Map;
import java.util.Objects;

/**
 * Limits on what one agreement may cost. Passing the soft cap raises a warning with the debit note
 * that passes it; the hard cap is never passed: a debit note or invoice above it is refused, and
 * the activity should stop before its usage would price above it ({@link
 * AgreementPayments#headroom()}).
 */
public record PaymentCaps(Money soft, Money hard) {
  public PaymentCaps {
    Objects.requireNonNull(soft, "soft");
    Objects.requireNonNull(hard, "hard");
    if (soft.compareTo(hard) > 0) {
      throw new InvalidRequestException(
          "INVALID_PAYMENT_CAPS", "the soft cap " + soft + " is above the hard cap " + hard + ": lower it or raise the hard cap", Map.of("field", "soft"));
    }
  }
}
