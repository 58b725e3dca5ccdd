import type { Broker } from '../../broker/broker.js';
import type { Admin } from '../admin.js';
import type { Consumer, ConsumerConfig } from '../consumer.js';
import type { Producer, ProducerConfig } from '../producer.js';
import { InProcessAdmin } from './in-process-admin.js';
import { InProcessConsumer } from './in-process-consumer.js';
import { InProcessProducer } from './in-process-producer.js';

/**
 * The client seam over an embedded broker: the runtime talks to the log only through these.
 *
 * @example
 * ```ts
 * const broker = await Broker.open({ dataDir: './data' });
 * const clients = inProcessClients(broker);
 * await clients.admin.createTopics([{ topic: 'lines', numPartitions: 2 }]);
 * const consumer = clients.consumer({ groupId: 'g', autoOffsetReset: 'earliest' });
 * ```
 */
export interface Clients {
  readonly admin: Admin;
  producer(config?: ProducerConfig): Producer;
  consumer(config?: ConsumerConfig): Consumer;
}

/** Clients that call straight into the broker: no sockets, no per-record promise. */
export function inProcessClients(broker: Broker): Clients {
  return {
    admin: new InProcessAdmin(broker),
    producer: (config) => new InProcessProducer(broker, config),
    consumer: (config) => new InProcessConsumer(broker, config),
  };
}
