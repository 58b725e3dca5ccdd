import { expect } from 'vitest';
import { test, fc } from '@fast-check/vitest';
import type { RecordInput } from '../broker/record-batch.js';
import { encodeBatch } from '../broker/record-batch.js';
import { chunkBySize, estimateBytes, sizeOf } from './record-sizing.js';

const recordArb: fc.Arbitrary<RecordInput> = fc.record({
  key: fc.option(fc.uint8Array({ maxLength: 40 }).map((b) => Buffer.from(b)), { nil: null }),
  value: fc.option(fc.uint8Array({ maxLength: 200 }).map((b) => Buffer.from(b)), { nil: null }),
  timestampMs: fc.integer({ min: 0, max: 2 ** 40 }),
  headers: fc.array(fc.record({ key: fc.string({ maxLength: 10 }), value: fc.option(fc.uint8Array({ maxLength: 20 }).map((b) => Buffer.from(b)), { nil: null }) }), {
    maxLength: 3,
  }),
});

test.prop([fc.array(recordArb, { minLength: 1, maxLength: 30 }), fc.integer({ min: 1, max: 2_000 })])(
  'chunkBySize keeps order, splits under maxBytes (one record at least per chunk), and returns the same array when all fit',
  (records, maxBytes) => {
    const chunks = chunkBySize(records, maxBytes);
    expect(chunks.flat()).toEqual(records);
    for (const c of chunks) expect(c.length === 1 || sizeOf(c) <= maxBytes).toBe(true);
    if (sizeOf(records) <= maxBytes) expect(chunks).toEqual([records]);
    if (chunks.length === 1) expect(chunks[0]).toBe(records);
  },
);

test.prop([fc.array(recordArb, { minLength: 1, maxLength: 10 })])('estimateBytes bounds what a batch really takes per record', (records) => {
  const overhead = 61; // a record batch's header
  expect(encodeBatch(records).length - overhead).toBeLessThanOrEqual(sizeOf(records));
  expect(sizeOf(records)).toBe(records.reduce((n, r) => n + estimateBytes(r), 0));
});
