import { StreamsError } from '../../errors.js';
import type { Consumer, ConsumerConfig } from '../consumer.js';
import type { Clients } from '../in-process/in-process-clients.js';
import type { Producer, ProducerConfig } from '../producer.js';
import { KafkaCluster, type KafkaClusterOptions } from './cluster.js';
import { KafkaAdmin } from './kafka-admin.js';
import { KafkaConsumer } from './kafka-consumer.js';
import { KafkaProducer } from './kafka-producer.js';

/**
 * Options of {@link kafkaClients}: how to reach the cluster, plus producer settings Kafka keeps outside
 * ProducerConfig.
 *
 * @example
 * ```ts
 * const options: KafkaClientsOptions = { bootstrapServers: ['localhost:9092'], clientId: 'word-count' };
 * ```
 */
export interface KafkaClientsOptions extends KafkaClusterOptions {
  /** Kafka's acks for producers: -1 (default), 1 or 0. Anything but -1 needs `idempotent: false`. */
  readonly acks?: -1 | 0 | 1;
}

/**
 * The client seam over the Kafka protocol: the same {@link Clients} the runtime uses in-process, reaching
 * tributary's broker server or an Apache Kafka cluster. The admin has one set of connections; each producer and
 * each consumer has its own (a consumer's long-poll Fetch must not hold up anybody else's requests, since a broker
 * answers a connection's requests in order). `close()` closes the admin's connections and every client not yet
 * closed.
 *
 * @example
 * ```ts
 * const clients = kafkaClients({ bootstrapServers: ['localhost:9092'], clientId: 'word-count' });
 * await clients.admin.createTopics([{ topic: 'lines', numPartitions: 3 }]);
 * const producer = clients.producer({ idempotent: true });
 * await producer.send({ topic: 'lines', messages: [{ key: null, value: Buffer.from('hello') }] });
 * await clients.close();
 * ```
 */
export function kafkaClients(options: KafkaClientsOptions): Clients & { close(): Promise<void> } {
  const shared = new KafkaCluster(options);
  const admin = new KafkaAdmin(shared);
  const open = new Set<{ close(): Promise<void> }>();
  const track = <T extends { close(): Promise<void> }>(client: T): T => {
    const close = client.close.bind(client);
    open.add(client);
    client.close = async () => {
      open.delete(client);
      await close();
    };
    return client;
  };
  let closed = false;
  const assertOpen = (): void => {
    if (closed) throw new StreamsError('CLOSED', 'the Kafka clients are closed');
  };
  return {
    admin,
    producer(config?: ProducerConfig): Producer {
      assertOpen();
      const cluster = new KafkaCluster({ ...options, ...(config?.clientId === undefined ? {} : { clientId: config.clientId }) });
      return track(new KafkaProducer(cluster, config, { ownsCluster: true, ...(options.acks === undefined ? {} : { acks: options.acks }) }));
    },
    consumer(config?: ConsumerConfig): Consumer {
      assertOpen();
      const cluster = new KafkaCluster({ ...options, ...(config?.clientId === undefined ? {} : { clientId: config.clientId }) });
      const consumer = new KafkaConsumer(cluster, config);
      const close = consumer.close.bind(consumer);
      // The consumer leaves its cluster open (it may be shared); this one is its own.
      consumer.close = async () => {
        try {
          await close();
        } finally {
          await cluster.close();
        }
      };
      return track(consumer);
    },
    async close(): Promise<void> {
      if (closed) return;
      closed = true;
      await Promise.allSettled([...open].map((c) => c.close()));
      await admin.close();
      await shared.close();
    },
  };
}
