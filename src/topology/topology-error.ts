/**
 * The error a Topology raises when it cannot be built: {@link TopologyError}, code `TOPOLOGY_INVALID`.
 */
import { StreamsError } from '../errors.js';

/**
 * Options of {@link TopologyError}: the node, store or topic at fault, when there is one, and the underlying error.
 *
 * @example
 * ```ts
 * throw new TopologyError('store "counts" is not connected to any processor', { storeName: 'counts' });
 * ```
 */
export interface TopologyErrorOptions {
  readonly nodeName?: string;
  readonly storeName?: string;
  readonly topic?: string;
  readonly cause?: unknown;
}

/**
 * A topology is invalid (Kafka Streams' `TopologyException`): an unknown or sink parent, a duplicate name, a cycle,
 * a topic read by two sources, a store nobody uses, ... Raised by the `Topology` method that made it invalid, or by
 * `build()` for what only the whole graph shows. Always `code === 'TOPOLOGY_INVALID'` and not retriable; `nodeName`
 * names the node at fault (the one being added, when an `add...` call fails), `storeName` the store.
 *
 * @example
 * ```ts
 * try {
 *   topology.addProcessor('count', countSupplier, 'no-such-parent');
 * } catch (e: unknown) {
 *   if (e instanceof TopologyError) console.error(e.nodeName, e.message); // 'count', 'Invalid topology: ...'
 * }
 * ```
 */
export class TopologyError extends StreamsError {
  readonly nodeName: string | undefined;
  readonly storeName: string | undefined;

  constructor(message: string, options: TopologyErrorOptions = {}) {
    super('TOPOLOGY_INVALID', `Invalid topology: ${message}`, {
      ...(options.topic === undefined ? {} : { topic: options.topic }),
      ...(options.cause === undefined ? {} : { cause: options.cause }),
    });
    this.name = 'TopologyError';
    this.nodeName = options.nodeName;
    this.storeName = options.storeName;
  }
}
