import type { Broker } from '../../broker/broker.js';
import type { TopicPartition } from '../../record.js';
import type { ConsumerGroupMetadata, OffsetToCommit } from '../consumer.js';
import type { ProducerIdAndEpoch, TransactionCoordinatorCalls, TransactionIdentity } from '../transaction-manager.js';

/**
 * The in-process producer's way to the coordinators: direct calls into the embedded broker's TransactionCoordinator
 * (`broker.transactions`) and GroupCoordinator (`broker.groups`). It has {@link TransactionCoordinatorCalls.verify}
 * (a synchronous fencing and timeout check), so sends are checked before they are written and an abort after a
 * timeout takes a new epoch (KIP-360, with the producer's current id and epoch).
 *
 * @example
 * ```ts
 * const txn = new TransactionManager(new InProcessTransactionCalls(broker), 'app-0', 60_000, () => sequences.clear());
 * ```
 */
export class InProcessTransactionCalls implements TransactionCoordinatorCalls {
  readonly #broker: Broker;

  constructor(broker: Broker) {
    this.#broker = broker;
  }

  verify(txn: TransactionIdentity): void {
    this.#broker.transactions.verify(txn.transactionalId, txn.producerId, txn.producerEpoch);
  }

  initProducerId(txn: TransactionIdentity, current: ProducerIdAndEpoch | null): Promise<ProducerIdAndEpoch> {
    return this.#broker.transactions.initProducerId(txn.transactionalId, txn.timeoutMs, current ?? undefined);
  }

  addPartitionsToTxn(txn: TransactionIdentity, partitions: readonly TopicPartition[]): Promise<void> {
    return this.#broker.transactions.addPartitionsToTxn(txn.transactionalId, txn.producerId, txn.producerEpoch, partitions);
  }

  addOffsetsToTxn(txn: TransactionIdentity, groupId: string): Promise<void> {
    return this.#broker.transactions.addOffsetsToTxn(txn.transactionalId, txn.producerId, txn.producerEpoch, groupId);
  }

  txnOffsetCommit(txn: TransactionIdentity, offsets: readonly OffsetToCommit[], group: ConsumerGroupMetadata): Promise<void> {
    return this.#broker.groups.commitTransactionalOffsets({
      groupId: group.groupId,
      producerId: txn.producerId,
      producerEpoch: txn.producerEpoch,
      memberId: group.memberId,
      generationId: group.generationId,
      ...(group.groupInstanceId === undefined ? {} : { groupInstanceId: group.groupInstanceId }),
      offsets: offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? '' })),
    });
  }

  endTxn(txn: TransactionIdentity, committed: boolean): Promise<void> {
    return this.#broker.transactions.endTxn(txn.transactionalId, txn.producerId, txn.producerEpoch, committed);
  }
}
