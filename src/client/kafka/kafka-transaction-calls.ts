import { StreamsError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import type { TxnOffsetCommitRequestTopic } from '../../protocol/messages.js';
import type { TopicPartition } from '../../record.js';
import type { ConsumerGroupMetadata, OffsetToCommit } from '../consumer.js';
import type { ProducerIdAndEpoch, TransactionCoordinatorCalls, TransactionIdentity } from '../transaction-manager.js';
import { responseError, type KafkaCluster } from './cluster.js';

/** Kafka's OPERATION_NOT_ATTEMPTED: a partition skipped because another of the same request failed. */
const OPERATION_NOT_ATTEMPTED = 55;

/**
 * The Kafka-protocol producer's way to the coordinators: InitProducerId and EndTxn to the transaction coordinator,
 * AddPartitionsToTxn before the first send to a partition, AddOffsetsToTxn then TxnOffsetCommit (v3, with the
 * consumer's generation, member id and instance id: KIP-447) to the group coordinator, each with the cluster's
 * coordinator lookup and retries.
 *
 * It has no {@link TransactionCoordinatorCalls.verify}: the protocol has no such request (the partition leader checks
 * the epoch of every batch). InitProducerId goes at v0-1, which carry no producer id and epoch, so an abort's new
 * epoch is asked for without KIP-360's `current`; and a transaction the broker aborted on timeout answers
 * INVALID_PRODUCER_EPOCH, i.e. the producer is fenced (as Kafka's clients before KIP-588).
 *
 * @example
 * ```ts
 * const txn = new TransactionManager(new KafkaTransactionCalls(cluster), 'app-0', 60_000, () => sender.resetSequences());
 * ```
 */
export class KafkaTransactionCalls implements TransactionCoordinatorCalls {
  readonly #cluster: KafkaCluster;

  constructor(cluster: KafkaCluster) {
    this.#cluster = cluster;
  }

  async initProducerId(txn: TransactionIdentity, _current: ProducerIdAndEpoch | null): Promise<ProducerIdAndEpoch> {
    const { body } = await this.#callTxnCoordinator(txn, 'InitProducerId', (node) =>
      this.#cluster.send(node, ApiKey.InitProducerId, { transactionalId: txn.transactionalId, transactionTimeoutMs: txn.timeoutMs }),
    );
    return { producerId: body.producerId ?? -1, producerEpoch: body.producerEpoch ?? -1 };
  }

  async addPartitionsToTxn(txn: TransactionIdentity, partitions: readonly TopicPartition[]): Promise<void> {
    const topics = new Map<string, number[]>();
    for (const tp of partitions) {
      const list = topics.get(tp.topic);
      if (list === undefined) topics.set(tp.topic, [tp.partition]);
      else list.push(tp.partition);
    }
    await this.#cluster.withCoordinator(
      'transaction',
      txn.transactionalId,
      'AddPartitionsToTxn',
      (node) =>
        this.#cluster.send(node, ApiKey.AddPartitionsToTxn, {
          v3AndBelowTransactionalId: txn.transactionalId,
          v3AndBelowProducerId: txn.producerId,
          v3AndBelowProducerEpoch: txn.producerEpoch,
          v3AndBelowTopics: [...topics].map(([name, ps]) => ({ name, partitions: ps })),
        }),
      ({ body }) => {
        let skipped: StreamsError | null = null;
        for (const t of body.resultsByTopicV3AndBelow ?? []) {
          for (const p of t.resultsByPartition ?? []) {
            const code = p.partitionErrorCode ?? 0;
            const position = { topic: t.name ?? '', partition: p.partitionIndex ?? -1 };
            if (code === OPERATION_NOT_ATTEMPTED) skipped ??= new StreamsError('UNKNOWN_SERVER_ERROR', 'AddPartitionsToTxn not attempted', position);
            else if (code !== 0) return responseError(code, `add ${position.topic}-${position.partition} to transaction ${txn.transactionalId}`, position);
          }
        }
        return skipped;
      },
    );
  }

  async addOffsetsToTxn(txn: TransactionIdentity, groupId: string): Promise<void> {
    await this.#callTxnCoordinator(txn, 'AddOffsetsToTxn', (node) =>
      this.#cluster.send(node, ApiKey.AddOffsetsToTxn, {
        transactionalId: txn.transactionalId,
        producerId: txn.producerId,
        producerEpoch: txn.producerEpoch,
        groupId,
      }),
    );
  }

  async txnOffsetCommit(txn: TransactionIdentity, offsets: readonly OffsetToCommit[], group: ConsumerGroupMetadata): Promise<void> {
    const topics = new Map<string, TxnOffsetCommitRequestTopic & { partitions: NonNullable<TxnOffsetCommitRequestTopic['partitions']>[number][] }>();
    for (const o of offsets) {
      let t = topics.get(o.topic);
      if (t === undefined) topics.set(o.topic, (t = { name: o.topic, partitions: [] }));
      t.partitions.push({ partitionIndex: o.partition, committedOffset: o.offset, committedLeaderEpoch: -1, committedMetadata: o.metadata ?? '' });
    }
    await this.#cluster.withCoordinator(
      'group',
      group.groupId,
      'TxnOffsetCommit',
      (node) =>
        this.#cluster.send(node, ApiKey.TxnOffsetCommit, {
          transactionalId: txn.transactionalId,
          groupId: group.groupId,
          producerId: txn.producerId,
          producerEpoch: txn.producerEpoch,
          generationId: group.generationId,
          memberId: group.memberId,
          groupInstanceId: group.groupInstanceId ?? null,
          topics: [...topics.values()],
        }),
      ({ body }) => {
        for (const t of body.topics ?? []) {
          for (const p of t.partitions ?? []) {
            const err = responseError(p.errorCode ?? 0, `commit offsets of group ${group.groupId} in transaction ${txn.transactionalId}`, {
              topic: t.name ?? '',
              partition: p.partitionIndex ?? -1,
            });
            if (err !== null) return err;
          }
        }
        return null;
      },
    );
  }

  async endTxn(txn: TransactionIdentity, committed: boolean): Promise<void> {
    await this.#callTxnCoordinator(txn, committed ? 'EndTxn(commit)' : 'EndTxn(abort)', (node) =>
      this.#cluster.send(node, ApiKey.EndTxn, {
        transactionalId: txn.transactionalId,
        producerId: txn.producerId,
        producerEpoch: txn.producerEpoch,
        committed,
      }),
    );
  }

  #callTxnCoordinator<T extends { readonly body: { readonly errorCode: number | null } }>(
    txn: TransactionIdentity,
    what: string,
    call: (node: number) => Promise<T>,
  ): Promise<T> {
    return this.#cluster.withCoordinator('transaction', txn.transactionalId, what, call, (r) =>
      responseError(r.body.errorCode ?? 0, `${what} of transactional id ${txn.transactionalId}`),
    );
  }
}
