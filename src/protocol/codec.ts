/**
 * Kafka request and response frames, encoded and decoded by walking the compiled message specs (schema.ts): one
 * interpreter for every API and version, server side (decode requests, encode responses) and client side (the
 * reverse). Bodies are plain objects keyed by the spec's field names with a lower-case first letter.
 */
import { StreamsError } from '../errors.js';
import { apiName, type ApiKeyNumber } from './api-keys.js';
import type { RequestBodies, ResponseBodies } from './messages.js';
import { inRange, loadSpec, messagePlan, parseVersions, type FieldPlan, type Primitive, type StructPlan, type VersionRange } from './schema.js';
import { WireReader, WireWriter } from './wire.js';

export type { RequestBodies, ResponseBodies } from './messages.js';

/**
 * The fields of a request header (v1/v2: Kafka's RequestHeader).
 *
 * @example
 * ```ts
 * const h: RequestHeader = { apiKey: 3, apiVersion: 8, correlationId: 7, clientId: 'rdkafka' };
 * ```
 */
export interface RequestHeader {
  readonly apiKey: number;
  readonly apiVersion: number;
  readonly correlationId: number;
  readonly clientId: string | null;
}

const API_VERSIONS_KEY = 18;
/**
 * Array elements one request may hold in all (topics, partitions, members...): far above what a client sends, far
 * below what would let a 100 MiB frame of tiny elements exhaust the broker's memory.
 */
const MAX_REQUEST_ELEMENTS = 200_000;
const specNames = new Map<number, string>();

function specName(apiKey: number): string | undefined {
  let name = specNames.get(apiKey);
  if (name === undefined) {
    const n = apiName(apiKey);
    if (n.startsWith('api-')) return undefined;
    name = n;
    specNames.set(apiKey, name);
  }
  return name;
}

/**
 * True when the codec has a spec for `apiKey` at `apiVersion` (what it can decode; what the broker advertises is
 * SUPPORTED_VERSIONS, a subset).
 *
 * @example
 * ```ts
 * isKnownVersion(ApiKey.Fetch, 11); // true
 * ```
 */
export function isKnownVersion(apiKey: number, apiVersion: number): boolean {
  const r = versionRanges(apiKey);
  return r !== null && inRange(r.valid, apiVersion);
}

const ranges = new Map<number, { readonly valid: VersionRange; readonly flexible: VersionRange } | null>();

/** An API's valid and flexible version ranges, parsed once (every request header asks). */
function versionRanges(apiKey: number): { readonly valid: VersionRange; readonly flexible: VersionRange } | null {
  let r = ranges.get(apiKey);
  if (r === undefined) {
    const name = specName(apiKey);
    const spec = name === undefined ? undefined : loadSpec(`${name}Request`);
    r = spec === undefined ? null : { valid: parseVersions(spec.validVersions), flexible: parseVersions(spec.flexibleVersions) };
    ranges.set(apiKey, r);
  }
  return r;
}

/**
 * True when this version of the API uses the flexible encodings (compact strings and arrays, tagged fields).
 *
 * @example
 * ```ts
 * isFlexibleVersion(ApiKey.ApiVersions, 3); // true
 * ```
 */
export function isFlexibleVersion(apiKey: number, apiVersion: number): boolean {
  const r = versionRanges(apiKey);
  return r !== null && inRange(r.flexible, apiVersion);
}

function requestPlan(apiKey: number, apiVersion: number): StructPlan {
  const name = specName(apiKey);
  if (name === undefined) throw new StreamsError('UNSUPPORTED_VERSION', `unknown API key ${apiKey}`);
  return messagePlan(`${name}Request`, apiVersion);
}

function responsePlan(apiKey: number, apiVersion: number): StructPlan {
  const name = specName(apiKey);
  if (name === undefined) throw new StreamsError('UNSUPPORTED_VERSION', `unknown API key ${apiKey}`);
  return messagePlan(`${name}Response`, apiVersion);
}

// ---------------------------------------------------------------------------------------------- requests

/**
 * Encodes a whole request frame: size prefix, header (v1, or v2 for flexible versions) and body. Returns chunks to
 * write in order; large record and byte fields are referenced, not copied.
 *
 * @throws StreamsError `UNSUPPORTED_VERSION` for an unknown API key or version; `INVALID_REQUEST` for a body whose
 *   values do not fit their fields.
 * @example
 * ```ts
 * for (const chunk of encodeRequest(ApiKey.ApiVersions, 3, 1, 'tributary', { clientSoftwareName: 'tributary', clientSoftwareVersion: '0.1' })) socket.write(chunk);
 * ```
 */
export function encodeRequest<K extends ApiKeyNumber>(apiKey: K, apiVersion: number, correlationId: number, clientId: string | null, body: RequestBodies[K]): Buffer[] {
  const plan = requestPlan(apiKey, apiVersion);
  const w = new WireWriter();
  w.int16(apiKey);
  w.int16(apiVersion);
  w.int32(correlationId);
  w.string(clientId, false); // ClientId keeps its int16 length even in header v2
  if (plan.isFlexible) w.uvarint(0);
  guarded(apiKey, apiVersion, () => writeStruct(w, plan, body as unknown as Record<string, unknown>, 'request'));
  return w.finish();
}

/**
 * Reads a request's header from a frame (the bytes after the size prefix). An unknown API key or version is not an
 * error here (the server answers those); the header's tagged fields are skipped when the version is known to be
 * flexible.
 *
 * @throws StreamsError `CORRUPT_MESSAGE` when the header is truncated or malformed.
 * @example
 * ```ts
 * const h = decodeRequestHeader(frame);
 * const body = decodeRequestBody(h.apiKey as ApiKeyNumber, h.apiVersion, frame, h.bodyOffset);
 * ```
 */
export function decodeRequestHeader(frame: Buffer): RequestHeader & { readonly bodyOffset: number } {
  const r = new WireReader(frame);
  const apiKey = r.int16();
  const apiVersion = r.int16();
  const correlationId = r.int32();
  const clientId = r.string(false, true);
  if (isKnownVersion(apiKey, apiVersion) && isFlexibleVersion(apiKey, apiVersion)) skipTaggedFields(r);
  return { apiKey, apiVersion, correlationId, clientId, bodyOffset: r.pos };
}

/**
 * Decodes a request body starting at `offset` of `frame`. Byte and record fields are views into `frame`.
 *
 * @throws StreamsError `UNSUPPORTED_VERSION` (unknown key or version), `CORRUPT_MESSAGE` (malformed or trailing bytes).
 * @example
 * ```ts
 * const fetch = decodeRequestBody(ApiKey.Fetch, 11, frame, h.bodyOffset);
 * fetch.maxWaitMs;
 * ```
 */
export function decodeRequestBody<K extends ApiKeyNumber>(apiKey: K, apiVersion: number, frame: Buffer, offset: number): RequestBodies[K] {
  const plan = requestPlan(apiKey, apiVersion);
  const r = new WireReader(frame, offset, frame.length, MAX_REQUEST_ELEMENTS);
  const body = readStruct(r, plan);
  if (r.pos !== frame.length) throw new StreamsError('CORRUPT_MESSAGE', `malformed frame: ${frame.length - r.pos} bytes after the ${apiName(apiKey)} v${apiVersion} request body`);
  return body as unknown as RequestBodies[K];
}

// --------------------------------------------------------------------------------------------- responses

function responseHeaderIsFlexible(apiKey: number, apiVersion: number): boolean {
  // ApiVersions answers with header v0 always, so a client can read it whatever version it asked for.
  return apiKey !== API_VERSIONS_KEY && isFlexibleVersion(apiKey, apiVersion);
}

/**
 * Encodes a whole response frame: size prefix, header (v0, or v1 for flexible versions except ApiVersions) and body.
 *
 * @throws StreamsError `UNSUPPORTED_VERSION`, `INVALID_REQUEST` as {@link encodeRequest}.
 * @example
 * ```ts
 * const chunks = encodeResponse(ApiKey.Heartbeat, 3, h.correlationId, { throttleTimeMs: 0, errorCode: 0 });
 * ```
 */
export function encodeResponse<K extends ApiKeyNumber>(apiKey: K, apiVersion: number, correlationId: number, body: ResponseBodies[K]): Buffer[] {
  const plan = responsePlan(apiKey, apiVersion);
  const w = new WireWriter();
  w.int32(correlationId);
  if (responseHeaderIsFlexible(apiKey, apiVersion)) w.uvarint(0);
  guarded(apiKey, apiVersion, () => writeStruct(w, plan, body as unknown as Record<string, unknown>, 'response'));
  return w.finish();
}

/**
 * Decodes a response frame (the bytes after the size prefix) of the given API and version.
 *
 * @throws StreamsError `CORRUPT_MESSAGE`, `UNSUPPORTED_VERSION`.
 * @example
 * ```ts
 * const { correlationId, body } = decodeResponse(ApiKey.Metadata, 8, frame);
 * ```
 */
export function decodeResponse<K extends ApiKeyNumber>(apiKey: K, apiVersion: number, frame: Buffer): { correlationId: number; body: ResponseBodies[K] } {
  const plan = responsePlan(apiKey, apiVersion);
  const r = new WireReader(frame);
  const correlationId = r.int32();
  if (responseHeaderIsFlexible(apiKey, apiVersion)) skipTaggedFields(r);
  const body = readStruct(r, plan);
  if (r.pos !== frame.length) throw new StreamsError('CORRUPT_MESSAGE', `malformed frame: ${frame.length - r.pos} bytes after the ${apiName(apiKey)} v${apiVersion} response body`);
  return { correlationId, body: body as unknown as ResponseBodies[K] };
}

/**
 * The correlation id of a response frame, read without decoding the rest (to match it to its request).
 *
 * @example
 * ```ts
 * const pending = inFlight.get(peekCorrelationId(frame));
 * ```
 */
export function peekCorrelationId(frame: Buffer): number {
  if (frame.length < 4) throw new StreamsError('CORRUPT_MESSAGE', 'malformed frame: shorter than a response header');
  return frame.readInt32BE(0);
}

// ------------------------------------------------------------------------------------------ the interpreter

/** Buffer's writers throw RangeError for a number that does not fit its field: report it as a bad body instead. */
function guarded(apiKey: number, apiVersion: number, write: () => void): void {
  try {
    write();
  } catch (e: unknown) {
    if (e instanceof RangeError) throw new StreamsError('INVALID_REQUEST', `${apiName(apiKey)} v${apiVersion}: ${e.message}`, { cause: e });
    throw e;
  }
}

function skipTaggedFields(r: WireReader): void {
  const n = r.uvarint();
  for (let i = 0; i < n; i++) {
    r.uvarint();
    r.skip(r.uvarint());
  }
}

function readStruct(r: WireReader, plan: StructPlan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of plan.fields) out[f.key] = readField(r, f);
  for (const f of plan.absent) out[f.key] = f.makeDefault();
  if (plan.isFlexible) {
    for (const f of plan.tagged) out[f.key] = f.makeDefault();
    const n = r.uvarint();
    for (let i = 0; i < n; i++) {
      const tag = r.uvarint();
      const size = r.uvarint();
      const f = plan.tagged.find((t) => t.tag === tag);
      if (f === undefined) {
        r.skip(size);
        continue;
      }
      const end = r.pos + size;
      if (end > r.end) throw new StreamsError('CORRUPT_MESSAGE', 'malformed frame: tagged field runs past the end');
      const sub = new WireReader(r.buf, r.pos, end, r.elementsLeft);
      out[f.key] = readField(sub, f);
      r.elementsLeft = sub.elementsLeft;
      r.pos = end;
    }
  }
  return out;
}

function readField(r: WireReader, f: FieldPlan): unknown {
  if (f.kind === 'array') {
    const n = r.arrayLength(f.compact, f.minSize);
    if (n < 0) {
      if (f.nullable) return null;
      throw new StreamsError('CORRUPT_MESSAGE', `malformed frame: null in non-nullable array ${f.key}`);
    }
    const arr = new Array<unknown>(n);
    for (let i = 0; i < n; i++) arr[i] = f.elem === 'struct' ? readStruct(r, f.struct!) : readPrimitive(r, f.elem as Primitive, f.compact, false);
    return arr;
  }
  if (f.kind === 'struct') {
    if (f.nullable && r.int8() < 0) return null;
    return readStruct(r, f.struct!);
  }
  return readPrimitive(r, f.kind, f.compact, f.nullable);
}

function readPrimitive(r: WireReader, kind: Primitive, compact: boolean, nullable: boolean): unknown {
  switch (kind) {
    case 'bool':
      return r.bool();
    case 'int8':
      return r.int8();
    case 'int16':
      return r.int16();
    case 'uint16':
      return r.uint16();
    case 'int32':
      return r.int32();
    case 'int64':
      return r.int64();
    case 'float64':
      return r.float64();
    case 'string':
      return r.string(compact, nullable);
    case 'bytes':
      return r.bytes(compact, nullable);
    case 'records':
      return r.bytes(compact, true);
    case 'uuid':
      return r.uuid();
  }
}

function writeStruct(w: WireWriter, plan: StructPlan, value: Record<string, unknown>, where: string): void {
  for (const f of plan.fields) {
    const v = value[f.key];
    writeField(w, f, v === undefined ? f.makeDefault() : v, where);
  }
  if (plan.isFlexible) {
    const present: { f: FieldPlan; v: unknown }[] = [];
    for (const f of plan.tagged) {
      const v = value[f.key];
      if (v !== undefined && !isDefault(f, v)) present.push({ f, v });
    }
    w.uvarint(present.length);
    for (const { f, v } of present) {
      const sub = new WireWriter();
      writeField(sub, f, v, where);
      const chunks = sub.finish();
      const size = chunks.reduce((n, c) => n + c.length, 0) - 4;
      w.uvarint(f.tag);
      w.uvarint(size);
      chunks[0] = chunks[0]!.subarray(4);
      for (const c of chunks) w.raw(c);
    }
  }
}

function isDefault(f: FieldPlan, v: unknown): boolean {
  const d = f.makeDefault();
  if (Array.isArray(v)) return Array.isArray(d) && v.length === 0;
  if (Buffer.isBuffer(v)) return Buffer.isBuffer(d) && d.equals(v);
  if (v !== null && typeof v === 'object') return false;
  return v === d;
}

function invalid(f: FieldPlan, v: unknown, where: string): StreamsError {
  return new StreamsError('INVALID_REQUEST', `${where} field ${f.key} cannot be ${v === null ? 'null' : typeof v} (${f.kind}${f.nullable ? ', nullable' : ''})`);
}

function writeField(w: WireWriter, f: FieldPlan, v: unknown, where: string): void {
  if (f.kind === 'array') {
    if (v === null) {
      if (!f.nullable) throw invalid(f, v, where);
      w.length(-1, f.compact, true);
      return;
    }
    if (!Array.isArray(v)) throw invalid(f, v, where);
    w.length(v.length, f.compact, true);
    for (const e of v) {
      if (f.elem === 'struct') writeStruct(w, f.struct!, e as Record<string, unknown>, where);
      else writePrimitive(w, { ...f, kind: f.elem!, nullable: false }, e, where);
    }
    return;
  }
  if (f.kind === 'struct') {
    if (f.nullable) {
      if (v === null) {
        w.int8(-1);
        return;
      }
      w.int8(1);
    } else if (v === null || typeof v !== 'object') throw invalid(f, v, where);
    writeStruct(w, f.struct!, v as Record<string, unknown>, where);
    return;
  }
  writePrimitive(w, f, v, where);
}

function writePrimitive(w: WireWriter, f: FieldPlan, v: unknown, where: string): void {
  switch (f.kind) {
    case 'bool':
      if (typeof v !== 'boolean') throw invalid(f, v, where);
      w.bool(v);
      return;
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'int64':
    case 'float64':
      if (typeof v !== 'number' || Number.isNaN(v)) throw invalid(f, v, where);
      if (f.kind === 'int8') w.int8(v);
      else if (f.kind === 'int16') w.int16(v);
      else if (f.kind === 'uint16') w.uint16(v);
      else if (f.kind === 'int32') w.int32(v);
      else if (f.kind === 'int64') w.int64(v);
      else w.float64(v);
      return;
    case 'string':
      if (v === null ? !f.nullable : typeof v !== 'string') throw invalid(f, v, where);
      w.string(v as string | null, f.compact);
      return;
    case 'bytes':
    case 'records':
      if (v === null ? !f.nullable && f.kind === 'bytes' : !(v instanceof Uint8Array)) throw invalid(f, v, where);
      w.bytes(v as Uint8Array | null, f.compact);
      return;
    case 'uuid':
      if (!(v instanceof Uint8Array)) throw invalid(f, v, where);
      w.uuid(v);
      return;
    default:
      throw invalid(f, v, where);
  }
}
