/**
 * Reading topics back in the examples: every record from the start of the given partitions to their end offsets as
 * they are when the call begins. Not part of the package: plain script plumbing, shared by the three examples.
 */
import type { Clients, LogRecord, TopicPartition } from '../../src/index.js';

/**
 * Calls `onRecord` for each record of `partitions`, from the start to the end offsets the call first sees, then
 * closes its reader.
 *
 * @example
 * ```ts
 * await readToEnd(clients, [{ topic: 'word-counts', partition: 0 }], (r) => rows.push(r));
 * ```
 */
export async function readToEnd(clients: Clients, partitions: readonly TopicPartition[], onRecord: (record: LogRecord) => void): Promise<void> {
  const ends = await clients.admin.listOffsets(partitions.map((tp) => ({ ...tp, spec: 'latest' as const })));
  const reader = clients.consumer({ autoOffsetReset: 'earliest' });
  reader.assign(partitions);
  try {
    const isAtEnd = async (): Promise<boolean> => {
      for (const end of ends) if ((await reader.position(end)) < end.offset) return false;
      return true;
    };
    while (!(await isAtEnd())) {
      const polled = await reader.poll({ maxWaitMs: 100 });
      for (const batch of polled.batches) for (const r of batch.records) onRecord(r);
    }
  } finally {
    await reader.close();
  }
}
