import { readFileSync } from 'node:fs';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../errors.js';
import { NO_HEADERS } from '../record.js';
import type { Header } from '../record.js';
import { decodeControlCoordinatorEpoch, decodeControlRecordType, encodeControlBatch } from './control-batch.js';
import { crc32c } from './crc32c.js';
import {
  BATCH_HEADER_BYTES,
  checkBatch,
  compressionOf,
  decodeRecords,
  encodeBatch,
  hasDeleteHorizonMs,
  isControlBatch,
  isTransactionalBatch,
  MAGIC_V2,
  readBatchHeader,
  recompressBatch,
  setBatchBaseOffset,
  setLogAppendTime,
  timestampTypeOf,
} from './record-batch.js';
import type { DecodedRecord, EncodeBatchOptions, RecordInput } from './record-batch.js';
import { COMPRESSION_CODECS, codecId } from './compression.js';

/** Reads a fixture: hex digits, whitespace ignored, `#` to end of line is a comment. */
function fixture(name: string): Buffer {
  const text = readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
  return Buffer.from(text.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex');
}

const b = (s: string): Buffer => Buffer.from(s, 'utf8');
const str = (buf: Buffer | null): string | null => (buf === null ? null : buf.toString('utf8'));
const T = 1_700_000_000_000;

/** Recomputes the CRC of the batch at 0 after a test edited covered bytes. */
function fixCrc(buf: Buffer): Buffer {
  buf.writeUInt32BE(crc32c(buf, 21, buf.length), 17);
  return buf;
}

function thrownCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e: unknown) {
    return isStreamsError(e) ? e.code : 'not a StreamsError';
  }
  return undefined;
}

/** Walks consecutive batches with checkBatch, as recovery does; every one must be ok. */
function batchesOf(buf: Buffer): Array<{ pos: number; records: DecodedRecord[] }> {
  const out: Array<{ pos: number; records: DecodedRecord[] }> = [];
  for (let pos = 0; pos < buf.length; ) {
    const c = checkBatch(buf, pos);
    if (c.kind !== 'ok') throw new Error(`batch at ${pos}: ${JSON.stringify(c)}`);
    out.push({ pos, records: decodeRecords(buf, pos, c.header) });
    pos += c.size;
  }
  return out;
}

describe('golden fixtures (bytes from an independent encoder of the spec)', () => {
  it('plain batch: two records, a null key, a header, a negative timestamp delta', () => {
    const expected = fixture('plain-two-records.hex');
    const batch = encodeBatch([
      { key: null, value: b('hello'), timestampMs: T, headers: [{ key: 'trace', value: b('abc') }] },
      { key: b('k1'), value: b('world'), timestampMs: T - 2 },
    ]);
    expect(batch.toString('hex')).toBe(expected.toString('hex'));

    const c = checkBatch(expected, 0);
    expect(c).toMatchObject({ kind: 'ok', size: 97 });
    expect(readBatchHeader(expected, 0)).toEqual({
      baseOffset: 0, batchLength: 85, partitionLeaderEpoch: -1, magic: 2, crc: 0xdd1ffbdf, attributes: 0,
      lastOffsetDelta: 1, baseTimestamp: T, maxTimestamp: T, producerId: -1, producerEpoch: -1, baseSequence: -1,
      recordCount: 2,
    });
    const [r0, r1] = decodeRecords(expected, 0);
    expect(r0).toMatchObject({ offset: 0, timestampMs: T, key: null });
    expect(str(r0!.value)).toBe('hello');
    expect(r0!.headers.map((h) => [h.key, Buffer.from(h.value!).toString()])).toEqual([['trace', 'abc']]);
    expect(r1).toMatchObject({ offset: 1, timestampMs: T - 2 });
    expect([str(r1!.key), str(r1!.value)]).toEqual(['k1', 'world']);
    expect(r1!.headers).toBe(NO_HEADERS);
  });

  it('idempotent batch: producer id, epoch and base sequence; base offset and leader epoch', () => {
    const expected = fixture('idempotent.hex');
    const records = ['a', 'b', 'c'].map((k, i) => ({ key: b(k), value: b(String(i + 1)), timestampMs: T + 10 * i }));
    const opts = { baseOffset: 100, partitionLeaderEpoch: 2, producerId: 4242, producerEpoch: 3, baseSequence: 17 };
    expect(encodeBatch(records, opts).toString('hex')).toBe(expected.toString('hex'));
    expect(readBatchHeader(expected, 0)).toMatchObject({ ...opts, lastOffsetDelta: 2, maxTimestamp: T + 20, recordCount: 3 });
    const decoded = decodeRecords(expected, 0);
    expect(decoded.map((r) => [r.offset, r.timestampMs, str(r.key), str(r.value)])).toEqual([
      [100, T, 'a', '1'],
      [101, T + 10, 'b', '2'],
      [102, T + 20, 'c', '3'],
    ]);
  });

  it('transactional batch: tombstone, a header with a null value, an empty key and value', () => {
    const expected = fixture('transactional.hex');
    const batch = encodeBatch(
      [
        { key: b('k'), value: null, timestampMs: T + 50, headers: [{ key: 'flag', value: null }] },
        { key: new Uint8Array(0), value: new Uint8Array(0), timestampMs: T + 50 },
      ],
      { isTransactional: true, producerId: 7, producerEpoch: 1, baseSequence: 0 },
    );
    expect(batch.toString('hex')).toBe(expected.toString('hex'));
    const h = readBatchHeader(expected, 0);
    expect([isTransactionalBatch(h.attributes), isControlBatch(h.attributes), compressionOf(h.attributes)]).toEqual([true, false, 'none']);
    const [r0, r1] = decodeRecords(expected, 0);
    expect(r0!.value).toBeNull();
    expect(r0!.headers).toEqual([{ key: 'flag', value: null }]);
    expect(r1!.key).toEqual(Buffer.alloc(0));
    expect(r1!.value).toEqual(Buffer.alloc(0));
  });

  it('control batch: a COMMIT marker', () => {
    const expected = fixture('control-commit.hex');
    const batch = encodeControlBatch('COMMIT', { producerId: 7, producerEpoch: 1, timestampMs: T + 100, coordinatorEpoch: 5 });
    expect(batch.toString('hex')).toBe(expected.toString('hex'));
    const h = readBatchHeader(expected, 0);
    expect([isControlBatch(h.attributes), isTransactionalBatch(h.attributes), h.baseSequence]).toEqual([true, true, -1]);
    const [marker] = decodeRecords(expected, 0);
    expect(decodeControlRecordType(marker!.key)).toBe('COMMIT');
    expect(decodeControlCoordinatorEpoch(marker!.value)).toBe(5);

    const abort = encodeControlBatch('ABORT', { producerId: 7, producerEpoch: 1, timestampMs: T, coordinatorEpoch: 0 });
    expect(decodeControlRecordType(decodeRecords(abort, 0)[0]!.key)).toBe('ABORT');
    expect(decodeControlRecordType(Buffer.from('00000002', 'hex'))).toBe('UNKNOWN');
    expect(thrownCode(() => decodeControlRecordType(null))).toBe('CORRUPT_RECORD');
    expect(thrownCode(() => decodeControlRecordType(Buffer.from('ffff0001', 'hex')))).toBe('CORRUPT_RECORD');
  });
});

describe('batches written by other Kafka clients and stored by an Apache Kafka broker', () => {
  it('decodes, and re-encodes byte for byte, six batches from the Java producer', () => {
    const buf = fixture('kafka-java-producer.hex');
    const batches = batchesOf(buf);
    expect(batches).toHaveLength(6);
    batches.forEach(({ pos, records }, i) => {
      const h = readBatchHeader(buf, pos);
      expect(h).toMatchObject({ baseOffset: i, partitionLeaderEpoch: 0, magic: MAGIC_V2, producerId: -1, recordCount: 1 });
      expect(records).toHaveLength(1);
      const r = records[0]!;
      expect([r.offset, r.timestampMs, str(r.key), str(r.value), r.headers]).toEqual([
        i, h.baseTimestamp, `KEY-${i + 1}`, `VALUE-Lorem ipsum dolor sit amet-${i + 1}`, NO_HEADERS,
      ]);
      const again = encodeBatch([{ key: r.key, value: r.value, timestampMs: r.timestampMs }], { baseOffset: i, partitionLeaderEpoch: 0 });
      expect(again.toString('hex')).toBe(buf.subarray(pos, pos + again.length).toString('hex'));
    });
  });

  it('decodes, and re-encodes byte for byte, a kafkajs batch with headers', () => {
    const buf = fixture('kafkajs-headers.hex');
    const batches = batchesOf(buf);
    expect(batches).toHaveLength(1);
    const records = batches[0]!.records;
    expect(records.map((r) => [r.offset, r.timestampMs, str(r.key), str(r.value)])).toEqual(
      [0, 1, 2].map((i) => [i, 1509827900073, `key-${i}`, `some-value-${i}`]),
    );
    expect(records.map((r) => r.headers.map((h) => [h.key, Buffer.from(h.value!).toString()]))).toEqual(
      [0, 1, 2].map((i) => [[`header-key-${i}`, `header-value-${i}`]]),
    );
    const again = encodeBatch(
      records.map((r) => ({ key: r.key, value: r.value, timestampMs: r.timestampMs, headers: r.headers })),
      { partitionLeaderEpoch: 0, producerId: -1, producerEpoch: 0, baseSequence: 0 },
    );
    expect(again.toString('hex')).toBe(buf.toString('hex'));
  });

  it('decodes gzip-compressed kafkajs batches', () => {
    const buf = fixture('kafkajs-gzip.hex');
    const batches = batchesOf(buf);
    expect(batches.map(({ pos }) => compressionOf(readBatchHeader(buf, pos).attributes))).toEqual(['gzip', 'gzip']);
    expect(batches.map(({ records }) => records.map((r) => [r.offset, r.timestampMs, str(r.key), str(r.value)]))).toEqual([
      [0, 1, 2].map((i) => [i, 1509827900073, `key-${i}`, `some-value-${i}`]),
      [1, 2, 3].map((i) => [i + 2, 1509827900073, `key-${i}`, `some-value-${i}`]),
    ]);
  });
});

describe('in-place edits', () => {
  const records: RecordInput[] = [
    { key: b('a'), value: b('1'), timestampMs: T + 5 },
    { key: b('b'), value: b('2'), timestampMs: T },
  ];

  it('setBatchBaseOffset moves the offsets without invalidating the CRC', () => {
    const batch = encodeBatch(records);
    setBatchBaseOffset(batch, 0, 2 ** 40);
    expect(checkBatch(batch, 0).kind).toBe('ok');
    expect(decodeRecords(batch, 0).map((r) => r.offset)).toEqual([2 ** 40, 2 ** 40 + 1]);
    expect(thrownCode(() => setBatchBaseOffset(batch, batch.length - 4, 1))).toBe('CORRUPT_RECORD');
  });

  it('setLogAppendTime stamps every record with the append time and recomputes the CRC', () => {
    const batch = encodeBatch(records);
    setLogAppendTime(batch, 0, T + 1000);
    expect(checkBatch(batch, 0).kind).toBe('ok');
    const h = readBatchHeader(batch, 0);
    expect([timestampTypeOf(h.attributes), h.maxTimestamp]).toEqual(['LogAppendTime', T + 1000]);
    expect(decodeRecords(batch, 0).map((r) => r.timestampMs)).toEqual([T + 1000, T + 1000]);
  });

  it('edits a batch in the middle of a larger buffer', () => {
    const one = encodeBatch(records);
    const buf = Buffer.concat([Buffer.from('junk'), one, one]);
    setBatchBaseOffset(buf, 4 + one.length, 2);
    setLogAppendTime(buf, 4 + one.length, T);
    expect(checkBatch(buf, 4, 4 + one.length)).toMatchObject({ kind: 'ok', size: one.length });
    expect(decodeRecords(buf, 4 + one.length).map((r) => [r.offset, r.timestampMs])).toEqual([[2, T], [3, T]]);
  });
});

describe('encodeBatch options', () => {
  it('keeps the timestamp delta relative to a delete horizon (KIP-534)', () => {
    const batch = encodeBatch([{ key: b('k'), value: null, timestampMs: T }], { deleteHorizonMs: T + 86_400_000 });
    const h = readBatchHeader(batch, 0);
    expect([hasDeleteHorizonMs(h.attributes), h.baseTimestamp, h.maxTimestamp]).toEqual([true, T + 86_400_000, T]);
    expect(decodeRecords(batch, 0)[0]!.timestampMs).toBe(T);
  });

  it('keeps explicit offset deltas and lastOffsetDelta (compaction)', () => {
    const batch = encodeBatch(
      [
        { key: b('x'), value: b('1'), timestampMs: T, offsetDelta: 3 },
        { key: b('y'), value: b('2'), timestampMs: T, offsetDelta: 7 },
      ],
      { baseOffset: 10, lastOffsetDelta: 9 },
    );
    expect(readBatchHeader(batch, 0).lastOffsetDelta).toBe(9);
    expect(decodeRecords(batch, 0).map((r) => r.offset)).toEqual([13, 17]);
  });

  it('rejects invalid input with INVALID_RECORD', () => {
    const r = { key: null, value: null, timestampMs: T };
    expect(thrownCode(() => encodeBatch([]))).toBe('INVALID_RECORD');
    expect(thrownCode(() => encodeBatch([{ ...r, timestampMs: 1.5 }]))).toBe('INVALID_RECORD');
    expect(thrownCode(() => encodeBatch([r, { ...r, offsetDelta: 0 }]))).toBe('INVALID_RECORD');
    expect(thrownCode(() => encodeBatch([r], { lastOffsetDelta: -1 }))).toBe('INVALID_RECORD');
    expect(thrownCode(() => encodeBatch([r], { producerEpoch: 40_000 }))).toBe('INVALID_RECORD');
    expect(thrownCode(() => encodeBatch([r], { baseOffset: -1 }))).toBe('INVALID_RECORD');
  });
});

describe('checkBatch', () => {
  const batch = encodeBatch([{ key: b('k'), value: b('v'), timestampMs: T }]);

  it('reports bad lengths, magic and size limits as corrupt', () => {
    const short = Buffer.from(batch);
    short.writeInt32BE(48, 8);
    expect(checkBatch(short, 0)).toMatchObject({ kind: 'corrupt' });
    const magic = Buffer.from(batch);
    magic[16] = 1;
    expect(checkBatch(magic, 0)).toMatchObject({ kind: 'corrupt' });
    expect(checkBatch(magic.subarray(0, 20), 0)).toMatchObject({ kind: 'corrupt' });
    expect(checkBatch(batch, 0, batch.length, batch.length - 1)).toMatchObject({ kind: 'corrupt' });
    expect(checkBatch(batch, 0, batch.length, batch.length).kind).toBe('ok');
  });

  it('accepts an empty batch (as compaction may leave) and rejects bytes after the last record', () => {
    const empty = Buffer.from(batch.subarray(0, BATCH_HEADER_BYTES));
    empty.writeInt32BE(BATCH_HEADER_BYTES - 12, 8);
    empty.writeInt32BE(0, 57);
    expect(checkBatch(fixCrc(empty), 0).kind).toBe('ok');
    expect(decodeRecords(empty, 0)).toEqual([]);

    const trailing = Buffer.concat([batch, Buffer.of(0)]);
    trailing.writeInt32BE(trailing.length - 12, 8);
    expect(checkBatch(fixCrc(trailing), 0)).toMatchObject({ kind: 'corrupt' });
    expect(thrownCode(() => decodeRecords(trailing, 0))).toBe('CORRUPT_RECORD');
  });

  it('rejects a record whose length claims more bytes than its fields use', () => {
    const padded = Buffer.concat([batch, Buffer.of(0)]);
    padded[61]! += 2; // the record's zigzag length varint: one byte more
    padded.writeInt32BE(padded.length - 12, 8);
    expect(checkBatch(fixCrc(padded), 0)).toMatchObject({ kind: 'corrupt', reason: expect.stringContaining('longer than its fields') });
  });

  it('reports an unassigned codec id (5-7) as corrupt, and decodeRecords throws UNSUPPORTED_COMPRESSION_TYPE for it', () => {
    const five = Buffer.from(batch);
    five.writeInt16BE(5, 21);
    fixCrc(five);
    expect(checkBatch(five, 0)).toMatchObject({ kind: 'corrupt', reason: expect.stringContaining('unsupported compression codec id 5') });
    expect(checkBatch(five, 0, five.length, five.length, false)).toMatchObject({ kind: 'corrupt' });
    expect(compressionOf(5)).toBe('unknown');
    expect(thrownCode(() => decodeRecords(five, 0))).toBe('UNSUPPORTED_COMPRESSION_TYPE');
  });

  it('claims a codec the section is not written with: corrupt, and decodeRecords throws CORRUPT_RECORD', () => {
    for (const codec of [1, 2, 3, 4]) {
      const lying = Buffer.from(batch);
      lying.writeInt16BE(codec, 21);
      fixCrc(lying);
      expect(checkBatch(lying, 0)).toMatchObject({ kind: 'corrupt' });
      expect(thrownCode(() => decodeRecords(lying, 0))).toBe('CORRUPT_RECORD');
    }
  });

  it('with checkRecords false checks framing and CRC only, leaving the grammar to decodeRecords', () => {
    const trailing = Buffer.concat([batch, Buffer.from([0])]);
    trailing.writeInt32BE(trailing.length - 12, 8);
    fixCrc(trailing);
    expect(checkBatch(trailing, 0, trailing.length, 2 ** 31 - 1, false)).toMatchObject({ kind: 'ok', size: trailing.length });
    expect(checkBatch(trailing, 0)).toMatchObject({ kind: 'corrupt' });
    const badCrc = Buffer.from(batch);
    badCrc[30]! ^= 1;
    expect(checkBatch(badCrc, 0, badCrc.length, 2 ** 31 - 1, false)).toMatchObject({ kind: 'corrupt' });
  });

  it('readBatchHeader and decodeRecords refuse a batch that runs past the buffer', () => {
    expect(thrownCode(() => readBatchHeader(batch, batch.length - 60))).toBe('CORRUPT_RECORD');
    expect(thrownCode(() => decodeRecords(batch.subarray(0, batch.length - 1), 0))).toBe('CORRUPT_RECORD');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// Properties

const bytesArb = fc.oneof(
  { weight: 8, arbitrary: fc.uint8Array({ maxLength: 40 }) },
  { weight: 1, arbitrary: fc.uint8Array({ minLength: 5_000, maxLength: 70_000 }) },
);
const nullableBytes = fc.option(bytesArb, { nil: null, freq: 4 });
const timestampArb = fc.oneof(
  fc.integer({ min: T - 10_000_000, max: T + 10_000_000 }),
  fc.integer({ min: -(2 ** 52), max: 2 ** 52 }),
);
const headerArb: fc.Arbitrary<Header> = fc.record({
  key: fc.string({ unit: 'grapheme', maxLength: 12 }),
  value: fc.option(fc.uint8Array({ maxLength: 16 }), { nil: null }),
});
const recordArb = fc.record(
  { key: nullableBytes, value: nullableBytes, timestampMs: timestampArb, headers: fc.array(headerArb, { maxLength: 3 }) },
  { requiredKeys: ['key', 'value', 'timestampMs'] },
);
const recordsArb = fc
  .tuple(fc.array(recordArb, { minLength: 1, maxLength: 12 }), fc.boolean(), fc.uniqueArray(fc.integer({ min: 0, max: 2 ** 31 - 1 }), { minLength: 12, maxLength: 12 }))
  .map(([records, explicitDeltas, deltas]): RecordInput[] => {
    if (!explicitDeltas) return records;
    const sorted = deltas.slice(0, records.length).sort((x, y) => x - y);
    return records.map((r, i) => ({ ...r, offsetDelta: sorted[i]! }));
  });
const optionsArb: fc.Arbitrary<EncodeBatchOptions> = fc.record(
  {
    baseOffset: fc.integer({ min: 0, max: 2 ** 53 - 2 ** 32 }),
    partitionLeaderEpoch: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    producerId: fc.integer({ min: -1, max: Number.MAX_SAFE_INTEGER }),
    producerEpoch: fc.integer({ min: -1, max: 32767 }),
    baseSequence: fc.integer({ min: -1, max: 2 ** 31 - 1 }),
    isTransactional: fc.boolean(),
    isControl: fc.boolean(),
    timestampType: fc.constantFrom('CreateTime' as const, 'LogAppendTime' as const),
    deleteHorizonMs: timestampArb,
    compression: fc.constantFrom(...COMPRESSION_CODECS),
  },
  { requiredKeys: [] },
);
/** Smaller batches for the byte-by-byte properties. */
const smallBatchArb = fc
  .tuple(fc.array(fc.record({ key: fc.option(fc.uint8Array({ maxLength: 6 }), { nil: null }), value: fc.option(fc.uint8Array({ maxLength: 6 }), { nil: null }), timestampMs: timestampArb, headers: fc.array(headerArb, { maxLength: 2 }) }), { minLength: 1, maxLength: 4 }), optionsArb)
  .map(([records, options]) => encodeBatch(records, options));

function sameBytes(actual: Uint8Array | null, expected: Uint8Array | null): boolean {
  if (actual === null || expected === null) return actual === expected;
  return Buffer.compare(actual, expected) === 0;
}

describe('properties', () => {
  test.prop([recordsArb, optionsArb], { numRuns: 150 })('encode then decode gives the records back', (records, options) => {
    const batch = encodeBatch(records, options);
    const c = checkBatch(batch, 0);
    expect(c).toEqual({ kind: 'ok', size: batch.length, header: readBatchHeader(batch, 0) });
    const decoded = decodeRecords(batch, 0);
    const logAppend = options.timestampType === 'LogAppendTime';
    const maxTs = Math.max(...records.map((r) => r.timestampMs));
    const base = options.baseOffset ?? 0;
    expect(decoded).toHaveLength(records.length);
    records.forEach((r, i) => {
      const d = decoded[i]!;
      expect(d.offset).toBe(base + (r.offsetDelta ?? i));
      expect(d.timestampMs).toBe(logAppend ? maxTs : r.timestampMs);
      expect(sameBytes(d.key, r.key)).toBe(true);
      expect(sameBytes(d.value, r.value)).toBe(true);
      const hs = r.headers ?? [];
      expect(d.headers.length).toBe(hs.length);
      hs.forEach((h, j) => {
        expect(d.headers[j]!.key).toBe(h.key);
        expect(sameBytes(d.headers[j]!.value, h.value)).toBe(true);
      });
    });
    const h = readBatchHeader(batch, 0);
    expect(h.maxTimestamp).toBe(maxTs);
    expect(h.lastOffsetDelta).toBe(records[records.length - 1]!.offsetDelta ?? records.length - 1);
    expect(isTransactionalBatch(h.attributes)).toBe(options.isTransactional === true);
    expect(compressionOf(h.attributes)).toBe(options.compression ?? 'none');
  });

  test.prop([smallBatchArb, fc.nat(), fc.integer({ min: 1, max: 255 })])(
    'flipping any byte from the CRC onwards makes the batch corrupt',
    (batch, at, mask) => {
      const pos = 17 + (at % (batch.length - 17));
      const bad = Buffer.from(batch);
      bad[pos]! ^= mask;
      expect(checkBatch(bad, 0)).toMatchObject({ kind: 'corrupt' });
    },
  );

  test.prop([smallBatchArb])('every strict prefix is incomplete, whether cut by the buffer or by `end`', (batch) => {
    for (let k = 0; k < batch.length; k++) {
      expect(checkBatch(batch.subarray(0, k), 0)).toEqual(checkBatch(batch, 0, k));
      expect(checkBatch(batch, 0, k).kind).toBe('incomplete');
    }
  });

  test.prop([fc.uint8Array({ maxLength: 300 }), fc.nat(), fc.nat()])('never throws on garbage', (bytes, pos, end) => {
    const c = checkBatch(bytes, pos % (bytes.length + 2), end % (bytes.length + 2));
    expect(['ok', 'incomplete', 'corrupt']).toContain(c.kind);
  });

  test.prop([smallBatchArb, fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 })], { numRuns: 300 })(
    'with a recomputed CRC, damage is caught by the grammar check exactly when decoding would fail',
    (batch, edits) => {
      const bad = Buffer.from(batch);
      for (const [at, value] of edits) bad[21 + (at % (bad.length - 21))] = value;
      fixCrc(bad);
      const c = checkBatch(bad, 0);
      let decoded: DecodedRecord[] | undefined;
      let code: string | undefined;
      try {
        decoded = decodeRecords(bad, 0);
      } catch (e: unknown) {
        code = isStreamsError(e) ? e.code : String(e);
      }
      if (c.kind === 'ok') {
        expect(decoded).toHaveLength(c.header.recordCount);
      } else {
        expect(c.kind).toBe('corrupt');
        // An edit of the codec bits to an unassigned id (5-7) is unsupported rather than corrupt for a reader.
        expect(code).toBe((bad.readInt16BE(21) & 7) > 4 ? 'UNSUPPORTED_COMPRESSION_TYPE' : 'CORRUPT_RECORD');
      }
    },
  );

  test.prop([smallBatchArb, fc.integer({ min: 0, max: 7 }), fc.integer({ min: 0, max: 15 })])(
    'baseOffset and partitionLeaderEpoch are outside the CRC',
    (batch, at, value) => {
      const edited = Buffer.from(batch);
      edited[at < 4 ? at : 8 + at] = value; // bytes 0-3 of baseOffset, 12-15 leader epoch
      expect(checkBatch(edited, 0).kind).toBe('ok');
    },
  );
});

describe('compressed batches', () => {
  const codecs = COMPRESSION_CODECS.filter((c) => c !== 'none');
  /** What a reader sees of a record: everything but where its bytes live. */
  const view = (r: DecodedRecord): unknown => [r.offset, r.timestampMs, r.key?.toString('hex') ?? null, r.value?.toString('hex') ?? null, r.headers.map((h) => [h.key, h.value === null ? null : Buffer.from(h.value).toString('hex')])];

  test.prop([recordsArb, optionsArb, fc.constantFrom(...codecs)], { numRuns: 120 })(
    'a compressed batch and the uncompressed batch of the same records decode to the same records, for each codec',
    (records, options, codec) => {
      const plain = encodeBatch(records, { ...options, compression: 'none' });
      const packed = encodeBatch(records, { ...options, compression: codec });
      const c = checkBatch(packed, 0);
      expect(c.kind).toBe('ok');
      expect(decodeRecords(packed, 0).map(view)).toEqual(decodeRecords(plain, 0).map(view));
      const hp = readBatchHeader(plain, 0);
      const hc = readBatchHeader(packed, 0);
      expect(compressionOf(hc.attributes)).toBe(codec);
      expect({ ...hc, attributes: hc.attributes & ~7, batchLength: 0, crc: 0 }).toEqual({ ...hp, batchLength: 0, crc: 0 });
      // The records section is the same bytes under every codec (control batches are never re-coded).
      if (options.isControl !== true) expect(recompressBatch(packed, 'none').equals(plain)).toBe(true);
    },
  );

  it('decompresses a batch once: every record is a view into one decompressed buffer', () => {
    const records = Array.from({ length: 50 }, (_, i): RecordInput => ({ key: b(`key-${i}`), value: b(`value-${i}`.repeat(5)), timestampMs: T + i }));
    for (const codec of codecs) {
      const batch = encodeBatch(records, { compression: codec });
      const decoded = decodeRecords(batch, 0);
      const buffers = new Set(decoded.flatMap((r) => [r.key!.buffer, r.value!.buffer]));
      expect(buffers.size).toBe(1);
      expect(decoded.map((r) => str(r.value))).toEqual(records.map((r) => str(r.value as Buffer)));
    }
  });

  it('recompressBatch re-codes the section, keeps every header field, and leaves control batches and same-codec batches alone', () => {
    const records: RecordInput[] = [
      { key: b('a'), value: b('x'.repeat(300)), timestampMs: T, headers: [{ key: 'h', value: b('1') }] },
      { key: null, value: null, timestampMs: T + 9 },
    ];
    const opts: EncodeBatchOptions = { baseOffset: 40, producerId: 9, producerEpoch: 2, baseSequence: 17, isTransactional: true, partitionLeaderEpoch: 3 };
    const gz = encodeBatch(records, { ...opts, compression: 'gzip' });
    expect(recompressBatch(gz, 'gzip')).toBe(gz);
    for (const codec of COMPRESSION_CODECS) {
      const out = recompressBatch(gz, codec);
      expect(checkBatch(out, 0)).toMatchObject({ kind: 'ok', size: out.length });
      const h = readBatchHeader(out, 0);
      expect(h.attributes).toBe((readBatchHeader(gz, 0).attributes & ~7) | codecId(codec));
      expect(h).toMatchObject({ baseOffset: 40, producerId: 9, producerEpoch: 2, baseSequence: 17, partitionLeaderEpoch: 3, recordCount: 2, lastOffsetDelta: 1 });
      expect(decodeRecords(out, 0).map(view)).toEqual(decodeRecords(gz, 0).map(view));
    }
    const marker = encodeControlBatch('COMMIT', { producerId: 9, producerEpoch: 2, timestampMs: T, coordinatorEpoch: 0 });
    expect(recompressBatch(marker, 'zstd')).toBe(marker);
  });
});
