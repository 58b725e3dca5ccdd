/**
 * Custom partitioning for sinks: a {@link StreamPartitioner} chooses the partition of each record written.
 */

/**
 * Chooses the partition (0 .. `numPartitions - 1`) of a record a sink writes to `topic`; `undefined` leaves the choice
 * to the default (murmur2 of the serialized key, as Kafka's producer; round-robin for a null key).
 *
 * Changing how keys map to partitions breaks co-partitioning with other topics: joins and stores read by key assume
 * the default, so use this only for topics no other part of the application reads by key.
 *
 * @example
 * ```ts
 * const byTenant: StreamPartitioner<string, Order> = (_topic, _key, order, n) => order.tenantId % n;
 * topology.addSink('out', 'orders-by-tenant', { partitioner: byTenant }, 'enrich');
 * ```
 */
export type StreamPartitioner<K, V> = (topic: string, key: K, value: V, numPartitions: number) => number | undefined;
