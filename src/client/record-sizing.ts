import type { RecordInput } from '../broker/record-batch.js';

/**
 * Splits records into runs whose estimated encoded size stays under `maxBytes` (at least one record each), in one
 * pass, as Kafka's producer splits a send into batches under batch.size. Records that fit return `[records]` itself.
 *
 * @example
 * ```ts
 * for (const run of chunkBySize(records, 1_000_000)) batches.push(encodeBatch(run));
 * ```
 */
export function chunkBySize(records: RecordInput[], maxBytes: number): RecordInput[][] {
  let out: RecordInput[][] | null = null;
  let start = 0;
  let size = 0;
  for (let i = 0; i < records.length; i++) {
    const b = estimateBytes(records[i]!);
    if (i > start && size + b > maxBytes) {
      (out ??= []).push(records.slice(start, i));
      start = i;
      size = 0;
    }
    size += b;
  }
  if (out === null) return [records];
  out.push(records.slice(start));
  return out;
}

/**
 * The sum of {@link estimateBytes} over records.
 *
 * @example
 * ```ts
 * if (sizeOf(records) > maxBatchBytes) split();
 * ```
 */
export function sizeOf(records: readonly RecordInput[]): number {
  let n = 0;
  for (let i = 0; i < records.length; i++) n += estimateBytes(records[i]!);
  return n;
}

/**
 * An upper bound of a record's encoded size: its bytes plus the varint overheads.
 *
 * @example
 * ```ts
 * estimateBytes({ key: null, value: Buffer.from('hello'), timestampMs: 0 }); // 37
 * ```
 */
export function estimateBytes(r: RecordInput): number {
  let n = 32 + (r.key?.length ?? 0) + (r.value?.length ?? 0);
  const headers = r.headers;
  if (headers !== undefined) {
    for (let i = 0; i < headers.length; i++) {
      const h = headers[i]!;
      n += 10 + h.key.length * 3 + (h.value?.length ?? 0);
    }
  }
  return n;
}
