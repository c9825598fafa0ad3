/**
 * Differential privacy for federated averaging: the privacy accountant ({@link
 * dev.fedgrid.core.dp.RdpAccountant}, with {@link dev.fedgrid.core.dp.DpAccounting} for a job),
 * clipping ({@link dev.fedgrid.core.dp.Clipping}, {@link dev.fedgrid.core.dp.AdaptiveClip}), noise
 * ({@link dev.fedgrid.core.dp.GaussianNoise}) and node sampling ({@link
 * dev.fedgrid.core.dp.PoissonSampling}) of central DP-FedAvg, and the same clipping and noise
 * applied on a node for local DP ({@link dev.fedgrid.core.dp.LocalDp}). Pure maths, no I/O.
 *
 * <p>A central DP round: sample each eligible node with probability {@code q}, clip each sampled
 * node's update {@code local - global} to norm {@code C}, sum, add {@code N(0, (sigma C)^2)} per
 * element, divide by the expected number of nodes {@code q N}; the round costs one step of the
 * sampled Gaussian mechanism with noise multiplier {@code sigma} and sampling rate {@code q}. A local
 * DP round: each node clips and noises its own update; per node it costs one Gaussian mechanism of
 * sensitivity {@code 2C}, without amplification.
 */
package dev.fedgrid.core.dp;
