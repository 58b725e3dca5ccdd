import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../errors.js';
import { ApiKey, SUPPORTED_VERSIONS, type ApiKeyNumber } from './api-keys.js';
import { decodeRequestBody, decodeRequestHeader, decodeResponse, encodeRequest, encodeResponse, isFlexibleVersion } from './codec.js';
import { messagePlan, type FieldPlan, type Primitive, type StructPlan } from './schema.js';

function primitiveArb(kind: Primitive, nullable: boolean): fc.Arbitrary<unknown> {
  let a: fc.Arbitrary<unknown>;
  switch (kind) {
    case 'bool':
      a = fc.boolean();
      break;
    case 'int8':
      a = fc.integer({ min: -128, max: 127 });
      break;
    case 'int16':
      a = fc.integer({ min: -32768, max: 32767 });
      break;
    case 'uint16':
      a = fc.integer({ min: 0, max: 65535 });
      break;
    case 'int32':
      a = fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 });
      break;
    case 'int64':
      a = fc.oneof(fc.constant(-1), fc.maxSafeInteger());
      break;
    case 'float64':
      a = fc.double({ noNaN: true });
      break;
    case 'string':
      a = fc.string({ unit: 'grapheme', maxLength: 12 });
      break;
    case 'bytes':
    case 'records':
      a = fc.uint8Array({ maxLength: 40 }).map((u) => Buffer.from(u));
      break;
    case 'uuid':
      a = fc.uint8Array({ minLength: 16, maxLength: 16 }).map((u) => Buffer.from(u));
      break;
  }
  return nullable || kind === 'records' ? fc.option(a, { nil: null }) : a;
}

function fieldArb(f: FieldPlan, depth: number): fc.Arbitrary<unknown> {
  if (f.kind === 'array') {
    const elem = f.elem === 'struct' ? structArb(f.struct!, depth + 1) : primitiveArb(f.elem as Primitive, false);
    const arr = fc.array(elem, { maxLength: depth > 2 ? 1 : 3 });
    return f.nullable ? fc.option(arr, { nil: null }) : arr;
  }
  if (f.kind === 'struct') {
    const s = structArb(f.struct!, depth + 1);
    return f.nullable ? fc.option(s, { nil: null }) : s;
  }
  return primitiveArb(f.kind, f.nullable);
}

/** A body of this version: every field the version has (tagged ones too); absent ones get their default on decode. */
function structArb(plan: StructPlan, depth = 0): fc.Arbitrary<Record<string, unknown>> {
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const f of [...plan.fields, ...plan.tagged]) model[f.key] = fieldArb(f, depth);
  return fc.record(model).map((r) => {
    const out: Record<string, unknown> = { ...r };
    for (const f of plan.absent) out[f.key] = f.makeDefault();
    return out;
  });
}

const NAMES = Object.entries(ApiKey) as [string, ApiKeyNumber][];

function cases(): [string, ApiKeyNumber, number][] {
  const out: [string, ApiKeyNumber, number][] = [];
  for (const [name, key] of NAMES) {
    const range = SUPPORTED_VERSIONS.get(key);
    if (range === undefined) continue;
    for (let v = range[0]; v <= range[1]; v++) out.push([name, key, v]);
  }
  return out;
}

describe('codec round trips every supported API version', () => {
  it.each(cases())('%s (key %i) v%i request and response', (name, key, version) => {
    const reqPlan = messagePlan(`${name}Request`, version);
    const resPlan = messagePlan(`${name}Response`, version);
    fc.assert(
      fc.property(structArb(reqPlan), structArb(resPlan), fc.integer({ min: 0, max: 2 ** 31 - 1 }), fc.option(fc.string(), { nil: null }), (req, res, corr, clientId) => {
        const frame = Buffer.concat(encodeRequest(key, version, corr, clientId, req as never));
        expect(frame.readInt32BE(0)).toBe(frame.length - 4);
        const body = frame.subarray(4);
        const h = decodeRequestHeader(body);
        expect(h).toMatchObject({ apiKey: key, apiVersion: version, correlationId: corr, clientId });
        expect(decodeRequestBody(key, version, body, h.bodyOffset)).toEqual(req);
        const out = Buffer.concat(encodeResponse(key, version, corr, res as never));
        const decoded = decodeResponse(key, version, out.subarray(4));
        expect(decoded.correlationId).toBe(corr);
        expect(decoded.body).toEqual(res);
      }),
      { numRuns: 25 },
    );
  });
});

describe('codec wire layout', () => {
  it('ApiVersions v0 request is header v1 with an empty body, byte for byte', () => {
    const frame = Buffer.concat(encodeRequest(ApiKey.ApiVersions, 0, 7, 'kc', {}));
    expect(frame.toString('hex')).toBe('0000000c' + '0012' + '0000' + '00000007' + '0002' + '6b63');
  });

  it('ApiVersions v3 request uses header v2 and compact strings in the body', () => {
    const frame = Buffer.concat(encodeRequest(ApiKey.ApiVersions, 3, 1, 'a', { clientSoftwareName: 'x', clientSoftwareVersion: '1' }));
    // size, key 18, v3, corr 1, clientId int16 "a", header tags 0, "x" compact, "1" compact, body tags 0
    expect(frame.toString('hex')).toBe('00000011' + '0012' + '0003' + '00000001' + '000161' + '00' + '0278' + '0231' + '00');
  });

  it('the ApiVersions response header stays v0 in the flexible v3', () => {
    const frame = Buffer.concat(encodeResponse(ApiKey.ApiVersions, 3, 9, { errorCode: 0, apiKeys: [{ apiKey: 0, minVersion: 3, maxVersion: 8 }], throttleTimeMs: 0 }));
    // corr, error 0, compact array of 1 (2), key 0, 3, 8, tags 0, throttle 0, tags 0
    expect(frame.subarray(4).toString('hex')).toBe('00000009' + '0000' + '02' + '0000' + '0003' + '0008' + '00' + '00000000' + '00');
    expect(isFlexibleVersion(ApiKey.ApiVersions, 3)).toBe(true);
  });

  it('tagged fields are written only when not default and read back', () => {
    const body = { errorCode: 0, apiKeys: [], throttleTimeMs: 0, finalizedFeaturesEpoch: 5, zkMigrationReady: true };
    const frame = Buffer.concat(encodeResponse(ApiKey.ApiVersions, 3, 1, body));
    const d = decodeResponse(ApiKey.ApiVersions, 3, frame.subarray(4)).body;
    expect(d.finalizedFeaturesEpoch).toBe(5);
    expect(d.zkMigrationReady).toBe(true);
    const plain = Buffer.concat(encodeResponse(ApiKey.ApiVersions, 3, 1, { errorCode: 0, apiKeys: [], throttleTimeMs: 0 }));
    expect(plain.length).toBeLessThan(frame.length);
    expect(decodeResponse(ApiKey.ApiVersions, 3, plain.subarray(4)).body.finalizedFeaturesEpoch).toBe(-1);
  });

  it('large records are passed through without a copy', () => {
    const records = Buffer.alloc(100_000, 7);
    const chunks = encodeRequest(ApiKey.Produce, 7, 1, null, {
      transactionalId: null,
      acks: -1,
      timeoutMs: 30_000,
      topicData: [{ name: 't', partitionData: [{ index: 0, records }] }],
    });
    expect(chunks.some((c) => c === records)).toBe(true);
    const frame = Buffer.concat(chunks);
    const h = decodeRequestHeader(frame.subarray(4));
    const req = decodeRequestBody(ApiKey.Produce, 7, frame.subarray(4), h.bodyOffset);
    expect(req.topicData[0]!.partitionData[0]!.records!.equals(records)).toBe(true);
  });

  it('int64 values keep their full safe range and sign', () => {
    for (const v of [-1, -2, 0, 2 ** 32, 2 ** 53 - 1, -(2 ** 40) - 3]) {
      const frame = Buffer.concat(encodeResponse(ApiKey.InitProducerId, 1, 1, { throttleTimeMs: 0, errorCode: 0, producerId: v, producerEpoch: 0 }));
      expect(decodeResponse(ApiKey.InitProducerId, 1, frame.subarray(4)).body.producerId).toBe(v);
    }
  });
});

describe('codec refuses bad input with a clear error', () => {
  const valid = Buffer.concat(encodeRequest(ApiKey.Metadata, 8, 3, 'c', { topics: [{ name: 'orders' }], allowAutoTopicCreation: true })).subarray(4);

  it('every truncation of a valid frame is CORRUPT_MESSAGE', () => {
    for (let n = 0; n < valid.length; n++) {
      const cut = valid.subarray(0, n);
      try {
        const h = decodeRequestHeader(cut);
        decodeRequestBody(ApiKey.Metadata, 8, cut, h.bodyOffset);
        expect.unreachable(`a frame cut at ${n} decoded`);
      } catch (e: unknown) {
        expect(isStreamsError(e, 'CORRUPT_MESSAGE')).toBe(true);
      }
    }
  });

  it('trailing bytes are CORRUPT_MESSAGE', () => {
    const h = decodeRequestHeader(valid);
    expect(() => decodeRequestBody(ApiKey.Metadata, 8, Buffer.concat([valid, Buffer.from([0])]), h.bodyOffset)).toThrow(/bytes after/);
  });

  it('random bytes never crash the decoder with anything but CORRUPT_MESSAGE or UNSUPPORTED_VERSION', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.constantFrom(...cases()), (bytes, [, key, version]) => {
        const b = Buffer.from(bytes);
        try {
          decodeRequestBody(key, version, b, 0);
        } catch (e: unknown) {
          if (!isStreamsError(e, 'CORRUPT_MESSAGE')) throw e;
        }
      }),
      { numRuns: 500 },
    );
  });

  it('an array length larger than the frame is refused before allocating', () => {
    const w = Buffer.from('7fffffff', 'hex'); // Metadata v1 topics: 2^31-1 elements
    expect(() => decodeRequestBody(ApiKey.Metadata, 1, w, 0)).toThrow(/array of 2147483647 elements/);
  });

  it('a request of many tiny elements is refused before it can exhaust memory (element budget, minimum element size)', () => {
    // Metadata v8: topics [{ name }]; each element is at least a 2-byte string length.
    const frame = (count: number, bytesPerElement: number): Buffer => {
      const b = Buffer.alloc(4 + count * bytesPerElement + 2);
      b.writeInt32BE(count, 0);
      for (let i = 0; i < count; i++) b.writeInt16BE(0, 4 + i * bytesPerElement); // name ''
      return b; // allowAutoTopicCreation, includeCluster/TopicAuthorizedOperations: 3 bools (2 here + 1 short)
    };
    const ok = Buffer.concat([frame(150_000, 2).subarray(0, 4 + 150_000 * 2), Buffer.from([1, 0, 0])]);
    expect(decodeRequestBody(ApiKey.Metadata, 8, ok, 0).topics).toHaveLength(150_000);
    const tooMany = Buffer.concat([frame(300_000, 2).subarray(0, 4 + 300_000 * 2), Buffer.from([1, 0, 0])]);
    expect(() => decodeRequestBody(ApiKey.Metadata, 8, tooMany, 0)).toThrow(/more array elements than a request may hold/);
    // Claiming more elements than the bytes left can hold at their minimum size fails before decoding any.
    const short = Buffer.alloc(4 + 1000);
    short.writeInt32BE(600, 0); // 600 topics need at least 1200 bytes
    expect(() => decodeRequestBody(ApiKey.Metadata, 8, short, 0)).toThrow(/array of 600 elements in 1000 bytes/);
  });

  it('unknown API keys and versions are UNSUPPORTED_VERSION; the header still decodes', () => {
    const h = decodeRequestHeader(Buffer.from('0063' + '0001' + '00000005' + 'ffff', 'hex'));
    expect(h).toMatchObject({ apiKey: 99, apiVersion: 1, correlationId: 5, clientId: null });
    expect(() => decodeRequestBody(99 as ApiKeyNumber, 1, Buffer.alloc(0), 0)).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
    expect(() => encodeRequest(ApiKey.Fetch, 99, 1, null, { maxWaitMs: 0, minBytes: 0, topics: [] })).toThrow(expect.objectContaining({ code: 'UNSUPPORTED_VERSION' }));
  });

  it('a body value of the wrong type or range is INVALID_REQUEST, not a RangeError', () => {
    expect(() => encodeResponse(ApiKey.Heartbeat, 3, 1, { throttleTimeMs: 0, errorCode: 70_000 })).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
    expect(() => encodeResponse(ApiKey.Heartbeat, 3, 1, { throttleTimeMs: 0, errorCode: 'x' as unknown as number })).toThrow(expect.objectContaining({ code: 'INVALID_REQUEST' }));
  });
});
