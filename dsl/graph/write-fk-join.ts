/**
 * Writes a foreign-key table-table join into a Topology, as Kafka Streams' `KTableImpl.doJoinOnForeignKey` lays it
 * out: subscription send -> registration topic -> receive (subscription store) -> join with the other table ->
 * response topic <- foreign-table join; response -> resolver -> output table.
 */
import type { Serde } from '../../src/serdes/serde.js';
import { Serdes } from '../../src/serdes/serdes.js';
import type { Topology } from '../../src/topology/topology.js';
import { foreignTableJoin, subscriptionJoin, subscriptionReceive } from '../processors/fk-join/subscription-receive.js';
import { subscriptionSend } from '../processors/fk-join/subscription-send.js';
import { responseJoin } from '../processors/fk-join/response-join.js';
import { combinedKeySerde, foreignKeyPrefixSerializer, responseWrapperSerde, subscriptionWrapperSerde } from '../processors/fk-join/subscription-wrapper.js';
import type { SubscriptionResponseWrapper, SubscriptionWrapper } from '../processors/fk-join/subscription-wrapper.js';
import { ktableSource } from '../processors/ktable-source.js';
import type { TableValueGetterSupplier } from '../processors/ktable-value-getter.js';
import type { TableForeignKeyJoinNode } from './graph-node.js';
import type { StoreSpec } from './store-spec.js';

/**
 * What {@link writeForeignKeyJoin} needs from the compiler: topic decoration, serde defaults (`undefined`: the
 * runtime's), both tables' getters, whether the output is materialized and sends old values, and how to add a store.
 *
 * @example `{ decorate: (t) => `app-${t}`, keySerdeOf, valueSerdeOf, left, right, isMaterialized: false, sendOldValues: false, addStore }`
 */
export interface ForeignKeyJoinContext {
  readonly decorate: (topic: string) => string;
  readonly keySerdeOf: (s: Serde<unknown> | undefined) => Serde<unknown> | undefined;
  readonly valueSerdeOf: (s: Serde<unknown> | undefined) => Serde<unknown> | undefined;
  readonly left: TableValueGetterSupplier<unknown, unknown>;
  readonly right: TableValueGetterSupplier<unknown, unknown>;
  readonly isMaterialized: boolean;
  readonly sendOldValues: boolean;
  readonly addStore: (spec: StoreSpec, processorName: string) => void;
}

function serdes(keySerde: Serde<unknown> | undefined, valueSerde: Serde<unknown>): { keySerde?: Serde<unknown>; valueSerde: Serde<unknown> } {
  return keySerde === undefined ? { valueSerde } : { keySerde, valueSerde };
}

/**
 * Adds the processors, sinks, sources and stores of `node` to `topology` (the parents' topology names are
 * `leftName`/`rightName`). Serdes inside the internal records (left key, foreign key in the store, left value for the
 * hash, right value) fall back to MessagePack when neither the join nor the build config names one; topic keys fall
 * back to the runtime's defaults, so subscriptions are partitioned as the other table's topic is.
 *
 * @example `writeForeignKeyJoin(topology, node, 'KTABLE-SOURCE-0000000002', 'KTABLE-SOURCE-0000000004', context);`
 */
export function writeForeignKeyJoin(topology: Topology, node: TableForeignKeyJoinNode, leftName: string, rightName: string, context: ForeignKeyJoinContext): void {
  const fallback = Serdes.MsgPack() as Serde<unknown>;
  const keySerde = context.keySerdeOf(node.keySerde);
  const otherKeySerde = context.keySerdeOf(node.otherKeySerde);
  const primaryKeySerde = keySerde ?? fallback;
  const foreignKeySerde = otherKeySerde ?? fallback;
  const valueSerde = context.valueSerdeOf(node.valueSerde) ?? fallback;
  const otherValueSerde = context.valueSerdeOf(node.otherValueSerde) ?? fallback;
  const registrationTopic = context.decorate(node.registrationTopic);
  const responseTopic = context.decorate(node.responseTopic);
  const subscriptionSerde = subscriptionWrapperSerde(primaryKeySerde) as Serde<unknown>;
  const responseSerde = responseWrapperSerde(otherValueSerde) as Serde<unknown>;
  const { partitioner, otherPartitioner } = node;

  topology.addProcessor(
    node.sendName,
    subscriptionSend({ extractor: node.extractor, foreignKeySerde, valueSerde, topic: registrationTopic, isLeftJoin: node.isLeftJoin }),
    leftName,
  );
  topology.addSink(
    node.registrationSinkName,
    registrationTopic,
    {
      ...serdes(otherKeySerde, subscriptionSerde),
      partitioner: (topic: string, key: unknown, value: unknown, n: number): number | undefined => {
        // A left join's null foreign key joins nothing: any partition answers it; the sender's spreads the load.
        if (key === null || key === undefined) return Math.max(0, (value as SubscriptionWrapper<unknown>).primaryPartition) % n;
        return otherPartitioner === undefined ? undefined : otherPartitioner(topic, key, null, n);
      },
    },
    node.sendName,
  );
  topology.addSource(node.registrationSourceName, registrationTopic, serdes(otherKeySerde, subscriptionSerde));
  topology.addProcessor(node.receiveName, subscriptionReceive(node.subscriptionStoreName), node.registrationSourceName);
  topology.addProcessor(node.joinForeignName, subscriptionJoin(context.right), node.receiveName);
  topology.addProcessor(node.foreignJoinName, foreignTableJoin(node.subscriptionStoreName, foreignKeyPrefixSerializer(foreignKeySerde)), rightName);
  context.addStore(
    Object.freeze({
      name: node.subscriptionStoreName,
      supplier: undefined,
      storeType: undefined,
      keySerde: combinedKeySerde(foreignKeySerde, primaryKeySerde) as Serde<unknown>,
      valueSerde: subscriptionSerde,
      isLoggingEnabled: true,
      logConfig: {},
      // Kafka Streams' subscription store has no cache: the foreign-table join prefix-scans the engine directly.
      isCachingEnabled: false,
    }),
    node.receiveName,
  );
  topology.connectProcessorAndStateStores(node.foreignJoinName, node.subscriptionStoreName);
  topology.connectProcessorAndStateStores(node.joinForeignName, ...context.right.storeNames);

  topology.addSink(
    node.responseSinkName,
    responseTopic,
    {
      ...serdes(keySerde, responseSerde),
      partitioner: (topic: string, key: unknown, value: unknown, n: number): number | undefined => {
        if (partitioner !== undefined) return partitioner(topic, key, null, n);
        // Back to the partition of the left task that subscribed: it holds the left row.
        const p = (value as SubscriptionResponseWrapper<unknown>).primaryPartition;
        return p >= 0 && p < n ? p : undefined;
      },
    },
    node.joinForeignName,
    node.foreignJoinName,
  );
  topology.addSource(node.responseSourceName, responseTopic, serdes(keySerde, responseSerde));
  topology.addProcessor(
    node.resolverName,
    responseJoin({ left: context.left, valueSerde, topic: registrationTopic, joiner: node.joiner, isLeftJoin: node.isLeftJoin }),
    node.responseSourceName,
  );
  topology.connectProcessorAndStateStores(node.resolverName, ...context.left.storeNames);
  topology.addProcessor(node.name, ktableSource(context.isMaterialized ? node.store.name : null, context.sendOldValues), node.resolverName);
  if (context.isMaterialized) context.addStore(node.store, node.name);
}
