/**
 * Differential privacy for federated averaging: the privacy accountant ({@link
 * dev.fedgrid.core.dp.RdpAccountant}), clipping ({@link dev.fedgrid.core.dp.Clipping}, {@link
 * dev.fedgrid.core.dp.AdaptiveClip}) and noise ({@link dev.fedgrid.core.dp.GaussianNoise}) of central
 * DP-FedAvg. Pure maths, no I/O.
 *
 * <p>A DP round: clip each node's update {@code local - global} to norm {@code C}, sum, add {@code
 * N(0, (sigma C)^2)} per element, divide by the expected number of nodes; the round costs one step
 * of the sampled Gaussian mechanism with noise multiplier {@code sigma} and sampling rate {@code q}
 * (nodes per round / eligible nodes).
 */
package dev.fedgrid.core.dp;
