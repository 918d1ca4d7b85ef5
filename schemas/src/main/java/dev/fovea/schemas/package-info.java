/**
 * Fovea's Avro contracts on the wire, without Confluent's artifacts (not on the reachable Maven
 * Central).
 *
 * <ul>
 *   <li>{@link dev.fovea.schemas.registry}: a client for any Confluent-compatible schema registry;
 *   <li>{@link dev.fovea.schemas.registry.server}: a small such registry for local runs and tests;
 *   <li>{@link dev.fovea.schemas.serde}: Kafka serdes for the Confluent wire format.
 * </ul>
 */
package dev.fovea.schemas;
