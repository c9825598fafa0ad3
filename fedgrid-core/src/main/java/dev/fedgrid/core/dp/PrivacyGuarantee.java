package dev.fedgrid.core.dp;

/**
 * An {@code (epsilon, delta)}-differential-privacy guarantee, with the Rényi order that gave the
 * smallest epsilon.
 *
 * @param epsilon the privacy loss, at least 0; {@code +infinity} when no order gives a bound
 * @param delta the failure probability it holds with, in (0, 1)
 * @param order the RDP order {@code alpha} that attains {@code epsilon}; {@code NaN} when none does
 */
public record PrivacyGuarantee(double epsilon, double delta, double order) {}
