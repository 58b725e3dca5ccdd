/**
 * tributary: stream processing for TypeScript in the spirit of Kafka Streams, over an included durable log.
 *
 * The package's one face: everything public is exported here by name, in sections. Nothing else is API.
 */

/* DSL */
export { StreamsBuilder } from '../dsl/streams-builder.js';
export type { KStream, BranchedKStream } from '../dsl/kstream.js';
export type { KTable } from '../dsl/ktable.js';
export type { GlobalKTable } from '../dsl/global-ktable.js';
export type { KGroupedStream } from '../dsl/kgrouped-stream.js';
export type { KGroupedTable } from '../dsl/kgrouped-table.js';
export { Consumed } from '../dsl/options/consumed.js';
export { Produced } from '../dsl/options/produced.js';
export { Grouped } from '../dsl/options/grouped.js';
export { Materialized } from '../dsl/options/materialized.js';
export type { DslStoreType } from '../dsl/options/materialized.js';
export { Named } from '../dsl/options/named.js';
export { Repartitioned } from '../dsl/options/repartitioned.js';
export { Branched } from '../dsl/options/branched.js';
export type { BranchChain } from '../dsl/options/branched.js';
export { Printed } from '../dsl/options/printed.js';
export type { LineWriter } from '../dsl/options/printed.js';
export type { TopologyConfig, Optimization } from '../dsl/topology-config.js';
export { changeSerde } from '../dsl/change.js';
export type { Change } from '../dsl/change.js';
export type { Predicate, ValueMapper, KeyValueMapper, ForeachAction, Initializer, Aggregator, Reducer, Merger, ValueJoiner } from '../dsl/functions.js';
export { TimeWindows } from '../dsl/windows/time-windows.js';
export { SlidingWindows } from '../dsl/windows/sliding-windows.js';
export { SessionWindows } from '../dsl/windows/session-windows.js';
export { WindowedSerdes } from '../dsl/windowed-serdes.js';
export { JoinWindows } from '../dsl/windows/join-windows.js';
export { Joined } from '../dsl/options/joined.js';
export { StreamJoined } from '../dsl/options/stream-joined.js';
export { TableJoined } from '../dsl/options/table-joined.js';
export { Suppressed, BufferConfig } from '../dsl/options/suppressed.js';
export type { StrictBufferConfig, BufferFullStrategy, SuppressionKind } from '../dsl/options/suppressed.js';
export { EmitStrategy } from '../dsl/emit-strategy.js';
export type { TimeWindowedKStream } from '../dsl/time-windowed-kstream.js';
export type { SessionWindowedKStream } from '../dsl/session-windowed-kstream.js';

/* Processor API */
export { Topology } from './topology/topology.js';
export type { ApplicationSettings } from './topology/topology.js';
export type { SourceOptions, SinkOptions, GlobalSourceOptions } from './topology/topology-options.js';
export { TopologyDescription } from './topology/topology-description.js';
export type {
  SubtopologyDescription,
  GlobalStoreDescription,
  NodeDescription,
  SourceNodeDescription,
  ProcessorNodeDescription,
  SinkNodeDescription,
} from './topology/topology-description.js';
export type { Metric, Sensor, StreamsMetrics } from './processor/streams-metrics.js';
export type { AutoOffsetReset } from './topology/topology-node.js';
export { Record } from './processor/record.js';
export type { FixedKeyRecord } from './processor/fixed-key-record.js';
export type { Processor, ProcessorSupplier, FixedKeyProcessor, FixedKeyProcessorSupplier } from './processor/processor.js';
export type { ProcessingContext, ProcessorContext, FixedKeyProcessorContext } from './processor/processor-context.js';
export type { ProcessorRecordMetadata, RecordContext } from './processor/record-context.js';
export type { PunctuationType, Punctuator, Cancellable } from './processor/punctuation.js';
export type { TimestampExtractor, InputRecord } from './processor/timestamp-extractor.js';
export type { TopicNameExtractor } from './processor/topic-name-extractor.js';
export type { StreamPartitioner } from './processor/stream-partitioner.js';

/* State */
export { Stores } from '../state-stores/stores.js';
export { changelogTopicName } from './state/state-store.js';
export type { StateStore, StateStoreContext, RestoreRecord, RestoreCallback } from './state/state-store.js';
export type { StoreBuilder, ChangelogConfig } from './state/store-builder.js';
export type {
  KeyValue,
  KeyValueIterator,
  KeyValueStore,
  ReadOnlyKeyValueStore,
  TimestampedKeyValueStore,
  ReadOnlyTimestampedKeyValueStore,
  ValueAndTimestamp,
} from './state/key-value-store.js';
export type { WindowStore, ReadOnlyWindowStore, TimestampedWindowStore, WindowStoreIterator } from './state/window-store.js';
export type { SessionStore, ReadOnlySessionStore } from './state/session-store.js';
export { timeWindow, sessionWindow, windowedEquals } from './state/windowed.js';
export type { Window, TimeWindow, SessionWindow, Windowed } from './state/windowed.js';

/* Runtime */
export { KafkaStreams } from '../runtime/kafka-streams.js';
export type { KafkaStreamsState, StateListener } from '../runtime/kafka-streams.js';
export type { ProcessingGuarantee, StreamsConfig } from '../runtime/streams-config.js';
export type { StateRestoreListener } from '../runtime/stream-thread.js';
export { QueryableStoreTypes } from '../runtime/queryable-store-types.js';
export type { KeyQueryMetadata, StreamsMetadata, LocalTaskMetadata } from '../runtime/streams-metadata.js';
export type { HostInfo } from '../runtime/host-info.js';
export { StreamsHttpServer } from '../runtime/service/streams-http-server.js';
export { toPrometheusText, PROMETHEUS_CONTENT_TYPE } from '../runtime/metrics/prometheus.js';
export type { StreamsHttpServerOptions } from '../runtime/service/streams-http-server.js';
export { InteractiveQueryClient, InteractiveQueryError } from '../runtime/service/iq-client.js';
export type { InteractiveQueryClientOptions } from '../runtime/service/iq-client.js';
export type { QueryableStoreType } from '../runtime/queryable-store-types.js';
export type {
  HandlerResponse,
  FailedRecordContext,
  DeserializationHandler,
  ProcessingHandler,
  ProductionHandler,
} from '../runtime/exception-handlers.js';

/* Testing */
export { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';
export type { TopologyTestDriverConfig } from '../runtime/testing/topology-test-driver.js';
export { TestInputTopic, TestOutputTopic } from '../runtime/testing/test-topics.js';
export type { TestKeyValue } from '../runtime/testing/test-topics.js';

/* Log (the included broker) */
export { Broker } from './broker/broker.js';
export type { BrokerOptions, FlushPolicy, TopicInfo, FetchPartition, FetchedPartition, ProduceEntry } from './broker/broker.js';
export { FileStorage, MemoryStorage } from './broker/storage.js';
export type { Storage, LogFile } from './broker/storage.js';
export { DEFAULT_TOPIC_CONFIG, validateTopicName } from './broker/topic-config.js';
export type { TopicConfig, TopicConfigInput, CleanupPolicy } from './broker/topic-config.js';
export { CONSUMER_OFFSETS_TOPIC } from './broker/offsets-topic.js';

/* Clients (the seam between the runtime and any log) */
export { inProcessClients } from './client/in-process/in-process-clients.js';
export { kafkaClients } from './client/kafka/kafka-clients.js';
export type { KafkaClientsOptions } from './client/kafka/kafka-clients.js';
export type { KafkaClusterOptions } from './client/kafka/cluster.js';
export { KafkaServer } from './broker/server/kafka-server.js';
export type { KafkaServerOptions } from './broker/server/kafka-server.js';
export type { Clients } from './client/in-process/in-process-clients.js';
export type { Admin, NewTopic, TopicDescription, OffsetSpec, TopicConfigs } from './client/admin.js';
export type { Producer, ProducerConfig, RecordMetadata, TopicMessages } from './client/producer.js';
export type {
  Consumer,
  ConsumerConfig,
  ConsumerRecords,
  OffsetToCommit,
  CommittedOffsetInfo,
  ConsumerGroupMetadata,
  IsolationLevel,
} from './client/consumer.js';
export type { RebalanceListener } from './client/group-membership.js';
export { RangeAssignor, RoundRobinAssignor, StickyAssignor } from './client/assignors.js';
export type { PartitionAssignor } from './client/assignors.js';
export { murmur2, partitionForKey } from './client/murmur2.js';

/* Records */
export { NO_HEADERS } from './record.js';
export type { Header, Headers, ProducerRecord, LogRecord, ConsumerBatch, TopicPartition } from './record.js';

/* Serdes */
export { Serdes } from './serdes/serdes.js';
export { serdeFrom, deserializeAt, serializeFor } from './serdes/serde.js';
export type { Serde, Serializer, Deserializer } from './serdes/serde.js';

/* Time and logging */
export { ManualClock, systemClock } from './util/clock.js';
export type { Clock } from './util/clock.js';
export { defaultLogger, silentLogger } from './util/logger.js';
export type { Logger } from './util/logger.js';

/* Errors */
export { StreamsError, isStreamsError } from './errors.js';
export { TopologyError } from './topology/topology-error.js';
export type { StreamsErrorCode } from './errors.js';
