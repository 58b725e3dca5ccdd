/**
 * tributary: stream processing for TypeScript in the spirit of Kafka Streams, over an included durable log.
 *
 * The package's one face: everything public is exported here by name, in sections. Nothing else is API.
 */

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
export type { StreamsErrorCode } from './errors.js';
