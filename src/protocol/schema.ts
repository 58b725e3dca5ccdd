/**
 * The message specs, interpreted: Kafka's JSON message definitions (src/protocol/specs/, Apache-2.0, as Kafka ships
 * them) compiled once per (message, version) into a flat plan the codec walks. Nothing per API is written by hand;
 * adding an API or a version is adding its JSON file.
 */
import { readFileSync } from 'node:fs';
import { StreamsError } from '../errors.js';

/** Wire types of a field (arrays and structs are described by {@link FieldPlan}). */
export type Primitive = 'bool' | 'int8' | 'int16' | 'uint16' | 'int32' | 'int64' | 'float64' | 'string' | 'bytes' | 'records' | 'uuid';

/**
 * How one field is read and written in one version.
 *
 * @example
 * ```ts
 * const plan = messagePlan('FetchRequest', 11);
 * plan.fields.map((f) => f.key); // ['replicaId', 'maxWaitMs', ...]
 * ```
 */
export interface FieldPlan {
  /** Object key: the spec name with its first letter lower-cased. */
  readonly key: string;
  /** The primitive, or 'struct' / 'array'. */
  readonly kind: Primitive | 'struct' | 'array';
  /** For arrays: the element's primitive or 'struct'. */
  readonly elem: Primitive | 'struct' | null;
  /** For structs and arrays of structs. */
  readonly struct: StructPlan | null;
  readonly nullable: boolean;
  /** Compact (unsigned varint length + 1) encodings for this field. */
  readonly compact: boolean;
  /** The tag when this field is a tagged field in this version, else -1. */
  readonly tag: number;
  /** Makes the value this field has when absent (shared empty values for arrays, bytes and uuids: never mutate them). */
  readonly makeDefault: () => unknown;
  /** The fewest bytes this field (for arrays: one element) takes on the wire. */
  readonly minSize: number;
}

/**
 * The fields of one struct (or a whole message) in one version.
 *
 * @example
 * ```ts
 * messagePlan('ApiVersionsResponse', 3).isFlexible; // true
 * ```
 */
export interface StructPlan {
  /** Fields written in order. */
  readonly fields: readonly FieldPlan[];
  /** Tagged fields of this version, by ascending tag. */
  readonly tagged: readonly FieldPlan[];
  /** Fields the spec has but this version does not: filled with their default when decoding. */
  readonly absent: readonly FieldPlan[];
  /** Flexible versions end every struct with a tagged-field section. */
  readonly isFlexible: boolean;
  /** The fewest bytes one encoding of this struct takes: bounds how many elements an array may claim. */
  readonly minSize: number;
}

/** A field as written in the JSON spec. */
export interface SpecField {
  readonly name: string;
  readonly type: string;
  readonly versions: string;
  readonly nullableVersions?: string;
  readonly taggedVersions?: string;
  readonly tag?: number;
  readonly default?: string;
  readonly flexibleVersions?: string;
  readonly fields?: readonly SpecField[];
}

/** A message spec file, parsed. */
export interface MessageSpec {
  readonly apiKey?: number;
  readonly type: 'request' | 'response' | 'header' | 'data';
  readonly name: string;
  readonly validVersions: string;
  readonly flexibleVersions: string;
  readonly fields: readonly SpecField[];
  readonly commonStructs?: readonly { readonly name: string; readonly fields: readonly SpecField[] }[];
}

/** An inclusive version range; `[1, 0]` is empty ("none"). */
export type VersionRange = readonly [number, number];

/**
 * Parses Kafka's version strings: `"3+"`, `"0-11"`, `"5"`, `"none"`.
 *
 * @example
 * ```ts
 * parseVersions('3-5'); // [3, 5]
 * parseVersions('none'); // [1, 0], which contains nothing
 * ```
 */
export function parseVersions(s: string | undefined): VersionRange {
  if (s === undefined || s === 'none' || s === '') return [1, 0];
  if (s.endsWith('+')) return [Number(s.slice(0, -1)), Number.MAX_SAFE_INTEGER];
  const dash = s.indexOf('-');
  if (dash < 0) return [Number(s), Number(s)];
  return [Number(s.slice(0, dash)), Number(s.slice(dash + 1))];
}

/** True when `v` lies in `r`. */
export function inRange(r: VersionRange, v: number): boolean {
  return v >= r[0] && v <= r[1];
}

const SPEC_DIR = new URL('./specs/', import.meta.url);
const specs = new Map<string, MessageSpec>();

/**
 * The parsed spec of a message by its name (`'FetchRequest'`), read once from src/protocol/specs/.
 *
 * @throws StreamsError `UNSUPPORTED_VERSION` when no such spec is vendored.
 * @example
 * ```ts
 * loadSpec('ProduceRequest').apiKey; // 0
 * ```
 */
export function loadSpec(name: string): MessageSpec {
  let spec = specs.get(name);
  if (spec === undefined) {
    let text: string;
    try {
      text = readFileSync(new URL(`${name}.json`, SPEC_DIR), 'utf8');
    } catch (e: unknown) {
      throw new StreamsError('UNSUPPORTED_VERSION', `no protocol spec named ${name}`, { cause: e });
    }
    // The specs are JSON with whole-line // comments (the licence header and notes).
    const json = text
      .split('\n')
      .filter((line) => !line.trimStart().startsWith('//'))
      .join('\n');
    spec = JSON.parse(json) as MessageSpec;
    specs.set(name, spec);
  }
  return spec;
}

/**
 * The object key of a spec field name: its first letter lower-cased (`ThrottleTimeMs` -> `throttleTimeMs`).
 *
 * @example
 * ```ts
 * fieldKey('PartitionIndex'); // 'partitionIndex'
 * ```
 */
export function fieldKey(name: string): string {
  return name.charAt(0).toLowerCase() + name.slice(1);
}

// Defaults are shared, not allocated per absent field: a decoded request must not cost memory for fields its version
// does not even have (a hostile array of many small elements would otherwise multiply that cost).
const EMPTY_ARRAY: readonly unknown[] = Object.freeze([]);
const EMPTY_BYTES = Buffer.alloc(0);
const ZERO_UUID = Buffer.alloc(16);

const PRIMITIVES: ReadonlySet<string> = new Set(['bool', 'int8', 'int16', 'uint16', 'int32', 'int64', 'float64', 'string', 'bytes', 'records', 'uuid']);

function primitiveDefault(type: Primitive, nullable: boolean, spec: string | undefined): () => unknown {
  if (spec === 'null' && nullable) return () => null;
  switch (type) {
    case 'bool':
      return spec === 'true' ? () => true : () => false;
    case 'int8':
    case 'int16':
    case 'uint16':
    case 'int32':
    case 'int64':
    case 'float64': {
      const n = spec === undefined || spec === '' ? 0 : Number(spec);
      return () => n;
    }
    case 'string': {
      const s = spec ?? '';
      return () => s;
    }
    case 'bytes':
      return () => EMPTY_BYTES;
    case 'records':
      return () => null;
    case 'uuid':
      return () => ZERO_UUID;
  }
}

const plans = new Map<string, StructPlan>();

/**
 * The compiled plan of a message in one version (cached).
 *
 * @throws StreamsError `UNSUPPORTED_VERSION` when the spec does not define `version`.
 * @example
 * ```ts
 * const plan = messagePlan('MetadataRequest', 8);
 * ```
 */
export function messagePlan(name: string, version: number): StructPlan {
  const cacheKey = `${name}:${version}`;
  let plan = plans.get(cacheKey);
  if (plan === undefined) {
    const spec = loadSpec(name);
    if (!inRange(parseVersions(spec.validVersions), version)) {
      throw new StreamsError('UNSUPPORTED_VERSION', `${name} has no version ${version} (valid: ${spec.validVersions})`);
    }
    const structs = new Map<string, readonly SpecField[]>();
    for (const s of spec.commonStructs ?? []) structs.set(s.name, s.fields);
    const isFlexible = inRange(parseVersions(spec.flexibleVersions), version);
    plan = compileStruct(spec.fields, version, isFlexible, structs);
    plans.set(cacheKey, plan);
  }
  return plan;
}

function compileStruct(fields: readonly SpecField[], version: number, isFlexible: boolean, structs: ReadonlyMap<string, readonly SpecField[]>): StructPlan {
  const inOrder: FieldPlan[] = [];
  const tagged: FieldPlan[] = [];
  const absent: FieldPlan[] = [];
  for (const f of fields) {
    const present = inRange(parseVersions(f.versions), version);
    const plan = compileField(f, present ? version : -1, isFlexible, structs);
    if (!present) absent.push(plan);
    else if (plan.tag >= 0) tagged.push(plan);
    else inOrder.push(plan);
  }
  tagged.sort((a, b) => a.tag - b.tag);
  let minSize = isFlexible ? 1 : 0;
  for (const f of inOrder) minSize += f.kind === 'array' ? (f.compact ? 1 : 4) : f.minSize;
  return { fields: inOrder, tagged, absent, isFlexible, minSize };
}

const FIXED_SIZES: Readonly<Record<string, number>> = { bool: 1, int8: 1, int16: 2, uint16: 2, int32: 4, int64: 8, float64: 8, uuid: 16 };

function minSizeOf(kind: Primitive | 'struct', compact: boolean, nullable: boolean, struct: StructPlan | null): number {
  if (kind === 'struct') return nullable ? 1 : struct!.minSize;
  const fixed = FIXED_SIZES[kind];
  if (fixed !== undefined) return fixed;
  if (compact) return 1;
  return kind === 'string' ? 2 : 4;
}

function compileField(f: SpecField, version: number, isFlexible: boolean, structs: ReadonlyMap<string, readonly SpecField[]>): FieldPlan {
  const nullable = version >= 0 && inRange(parseVersions(f.nullableVersions), version);
  const isTagged = version >= 0 && isFlexible && f.tag !== undefined && inRange(parseVersions(f.taggedVersions), version);
  const fieldFlexible = f.flexibleVersions === undefined ? isFlexible : version >= 0 && inRange(parseVersions(f.flexibleVersions), version);
  const isArray = f.type.startsWith('[]');
  const base = isArray ? f.type.slice(2) : f.type;
  const isStruct = !PRIMITIVES.has(base);
  let struct: StructPlan | null = null;
  if (isStruct) {
    const sub = f.fields ?? structs.get(base);
    if (sub === undefined) throw new StreamsError('UNSUPPORTED_VERSION', `spec field ${f.name} names unknown struct ${base}`);
    // An absent field's struct is compiled at its first version only to make defaults.
    struct = compileStruct(sub, version >= 0 ? version : firstVersion(f), isFlexible, structs);
  }
  let makeDefault: () => unknown;
  if (isArray) makeDefault = f.default === 'null' ? () => null : () => EMPTY_ARRAY;
  else if (struct !== null) {
    const s = struct;
    makeDefault = f.default === 'null' ? () => null : () => defaultStruct(s);
  } else makeDefault = primitiveDefault(base as Primitive, nullable || f.default === 'null', f.default);
  const elemKind: Primitive | 'struct' = isStruct ? 'struct' : (base as Primitive);
  return {
    minSize: minSizeOf(elemKind, fieldFlexible, isArray ? false : nullable, struct),
    key: fieldKey(f.name),
    kind: isArray ? 'array' : isStruct ? 'struct' : (base as Primitive),
    elem: isArray ? (isStruct ? 'struct' : (base as Primitive)) : null,
    struct,
    nullable,
    compact: fieldFlexible,
    tag: isTagged ? (f.tag ?? -1) : -1,
    makeDefault,
  };
}

function firstVersion(f: SpecField): number {
  const [lo] = parseVersions(f.versions);
  return lo > 1_000 ? 0 : lo;
}

/**
 * A struct with every field at its default.
 *
 * @example
 * ```ts
 * defaultStruct(messagePlan('FetchRequest', 11)).maxWaitMs; // 0
 * ```
 */
export function defaultStruct(plan: StructPlan): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of plan.fields) out[f.key] = f.makeDefault();
  for (const f of plan.tagged) out[f.key] = f.makeDefault();
  for (const f of plan.absent) out[f.key] = f.makeDefault();
  return out;
}
