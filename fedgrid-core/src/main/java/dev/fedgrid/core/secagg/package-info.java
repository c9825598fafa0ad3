/**
 * Secure aggregation: SecAgg+ (Bell, Bonawitz, Gascón, Lepoint, Raykova, "Secure Single-Server
 * Aggregation with (Poly)Logarithmic Overhead", CCS 2020) in the semi-honest setting, with the
 * protocol of Bonawitz et al. ("Practical Secure Aggregation for Privacy-Preserving Machine
 * Learning", CCS 2017) as the complete-graph case, so that the server learns the sum of the
 * survivors' weighted, quantized updates and nothing about any single one.
 *
 * <p>The protocol is transport-free: a {@link dev.fedgrid.core.secagg.SecAggClient} per client and
 * a {@link dev.fedgrid.core.secagg.SecAggServer} per round exchange {@link
 * dev.fedgrid.core.secagg.SecAggMessage} records, and whoever drives them (the gateway over gRPC,
 * the simulator in memory) ends each stage on its time-out. {@link
 * dev.fedgrid.core.secagg.SecAggConfig} documents quantization, weighting and the defaults; {@link
 * dev.fedgrid.core.secagg.SecAggServer} documents the stages and their checks.
 *
 * <p>Primitives, all vetted: X25519 key agreement, HKDF-SHA256 ({@code javax.crypto.KDF}), AES-GCM
 * for shares sent through the server, AES-128-CTR mask expansion (from the JDK), and Shamir secret
 * sharing over GF(2^8) from Bouncy Castle's {@code org.bouncycastle.crypto.threshold}.
 */
package dev.fedgrid.core.secagg;
