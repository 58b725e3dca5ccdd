/**
 * The record batch compression codecs, by the ids Kafka puts in batch attributes bits 0-2: 0 none, 1 gzip,
 * 2 snappy, 3 lz4, 4 zstd. Only the records section after the 61-byte batch header is compressed (record-batch.ts);
 * this module turns those bytes into their compressed form and back, once per batch.
 *
 * Implementations, all pure JavaScript or WebAssembly shipped inside the npm package (no native build, nothing
 * downloaded at install), each loaded on first use so a process that never meets a codec never loads it:
 * - gzip: node:zlib (GZIP framing, what Kafka writes; concatenated members are read too).
 * - snappy: `snappyjs` 0.7.0 (MIT, pure JS, the most used JS snappy; kafkajs-snappy builds on it). Snappy has two
 *   framings in Kafka: librdkafka writes raw snappy, Kafka's Java producer the xerial stream (`\x82SNAPPY\0`, two
 *   int32 versions, then int32-length-prefixed raw blocks). Both are read; raw is written, which librdkafka and
 *   the Java client (xerial's SnappyInputStream falls back to raw) both read.
 * - lz4: the frame format (KIP-57) is implemented in lz4-frame.ts, the block compressor is `lz4-wasm-nodejs`
 *   0.9.2 (MIT/Apache-2.0, lz4_flex compiled to WASM, loaded synchronously by its wasm-bindgen glue; about twice
 *   as fast here as the pure-JS lz4js compressor).
 *   Not lz4js 0.2.0: unmaintained, it writes linked-block frames, which Kafka's Java client and broker refuse
 *   ("Dependent block stream is unsupported"), its compressor can end a full block with a match inside the last
 *   12 bytes (reference decoders reject that), and it checks no checksum. lz4-wasm-nodejs has only a block API
 *   that needs the exact decompressed size, so blocks are decoded in TypeScript (lz4-frame.ts), which also reads
 *   linked-block frames. `lz4` and `lz4-napi` are native builds.
 * - zstd (Node 20's zlib has none): decompression with `fzstd` 0.1.1 (MIT, pure JS, by the author of fflate:
 *   synchronous, no initialisation, and it reads frames without a declared content size, which Kafka's Java
 *   producer writes); compression with `@bokuweb/zstd-wasm` 0.0.27 (MIT, the reference zstd compiled to WASM,
 *   level 3 as Kafka's default). Its own `init()` is asynchronous; the WASM module is instantiated synchronously
 *   through the Emscripten `instantiateWasm` hook instead (a few ms, once), so encoding stays synchronous; that reads
 *   two files beside the package entry (dist/common/module.js, zstd.wasm), so its version is pinned. Not
 *   `@mongodb-js/zstd` or `zstd-napi` (prebuild-install downloads a binary at install, else node-gyp), nor zstd-codec
 *   (its module only initialises asynchronously).
 *
 * A codec whose package is not installed raises `StreamsError('UNSUPPORTED_COMPRESSION_TYPE')` naming the package,
 * as does an id other than 0-4. Bytes that do not decompress raise `CORRUPT_RECORD`. Decompression refuses
 * results larger than `maxBytes` (default {@link MAX_DECOMPRESSED_BYTES}) where the size is known up front
 * (snappy, lz4, zstd with a declared content size, gzip while inflating), so a small batch cannot claim gigabytes.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { StreamsError } from '../errors.js';
import { lz4FrameCompress, lz4FrameDecompress } from './lz4-frame.js';

/**
 * A batch compression codec by the name Kafka's `compression.type` uses.
 *
 * @example
 * ```ts
 * const codec: CompressionCodec = 'zstd';
 * ```
 */
export type CompressionCodec = 'none' | 'gzip' | 'snappy' | 'lz4' | 'zstd';

/**
 * The codecs in id order: `COMPRESSION_CODECS[id]` is the codec of attributes bits 0-2 = id.
 *
 * @example
 * ```ts
 * COMPRESSION_CODECS[readBatchHeader(buf, 0).attributes & 7]; // 'lz4' for id 3
 * ```
 */
export const COMPRESSION_CODECS: readonly CompressionCodec[] = Object.freeze(['none', 'gzip', 'snappy', 'lz4', 'zstd'] as const);

/**
 * The largest result {@link decompress} accepts unless told otherwise: 1 GiB.
 *
 * @example
 * ```ts
 * decompress('zstd', section, Math.min(MAX_DECOMPRESSED_BYTES, 64 << 20));
 * ```
 */
export const MAX_DECOMPRESSED_BYTES = 1 << 30;

/**
 * The id of a codec in batch attributes bits 0-2.
 *
 * @example
 * ```ts
 * codecId('lz4'); // 3
 * ```
 */
export function codecId(codec: CompressionCodec): number {
  const id = COMPRESSION_CODECS.indexOf(codec);
  if (id < 0) throw unsupported(`unknown compression codec '${String(codec)}'`);
  return id;
}

/**
 * The codec with attributes id `id` (0-4); UNSUPPORTED_COMPRESSION_TYPE for 5-7 or anything else.
 *
 * @example
 * ```ts
 * codecById(readBatchHeader(buf, 0).attributes & 7); // 'gzip'
 * ```
 */
export function codecById(id: number): CompressionCodec {
  const codec = COMPRESSION_CODECS[id];
  if (codec === undefined || !Number.isInteger(id)) throw unsupported(`unsupported compression codec id ${id}`);
  return codec;
}

/**
 * True for the names of {@link CompressionCodec}.
 *
 * @example
 * ```ts
 * isCompressionCodec('lz4'); // true
 * isCompressionCodec('brotli'); // false
 * ```
 */
export function isCompressionCodec(name: unknown): name is CompressionCodec {
  return typeof name === 'string' && (COMPRESSION_CODECS as readonly string[]).includes(name);
}

function unsupported(message: string, cause?: unknown): StreamsError {
  return new StreamsError('UNSUPPORTED_COMPRESSION_TYPE', message, cause === undefined ? {} : { cause });
}

function corrupt(codec: CompressionCodec, message: string, cause?: unknown): StreamsError {
  return new StreamsError('CORRUPT_RECORD', `${codec}: ${message}`, cause === undefined ? {} : { cause });
}

function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Compresses `bytes` with `codec` (a name or an attributes id); 'none' returns the bytes as they are (a Buffer
 * view, not a copy). The output is what Kafka's clients write for that codec (see the module comment).
 *
 * @example
 * ```ts
 * const packed = compress('lz4', recordsSection);
 * decompress('lz4', packed).equals(recordsSection); // true
 * ```
 */
export function compress(codec: CompressionCodec | number, bytes: Uint8Array): Buffer {
  const name = typeof codec === 'number' ? codecById(codec) : codec;
  switch (name) {
    case 'none':
      return asBuffer(bytes);
    case 'gzip':
      return gzipSync(bytes);
    case 'snappy':
      return snappyjs().compress(asBuffer(bytes));
    case 'lz4': {
      const lz4 = lz4Wasm();
      // lz4-wasm prefixes the block with its uncompressed size (uint32LE): the frame wants the block alone.
      return lz4FrameCompress(bytes, (block) => lz4.compress(block).subarray(4));
    }
    case 'zstd':
      return asBuffer(zstdWasm().compress(bytes, ZSTD_LEVEL));
    default:
      throw unsupported(`unknown compression codec '${String(name)}'`);
  }
}

/**
 * Decompresses `bytes` written with `codec` (a name or an attributes id) into a new Buffer; 'none' returns the
 * bytes as they are. Throws CORRUPT_RECORD when the bytes do not decompress or would exceed `maxBytes`, and
 * UNSUPPORTED_COMPRESSION_TYPE for an unknown codec or a missing package.
 *
 * @example
 * ```ts
 * const records = decompress(header.attributes & 7, batch.subarray(61));
 * ```
 */
export function decompress(codec: CompressionCodec | number, bytes: Uint8Array, maxBytes: number = MAX_DECOMPRESSED_BYTES): Buffer {
  const name = typeof codec === 'number' ? codecById(codec) : codec;
  if (name === 'none') return asBuffer(bytes);
  // Load the package first: a missing one is UNSUPPORTED_COMPRESSION_TYPE, not a corrupt batch.
  const snappy = name === 'snappy' ? snappyjs() : null;
  const fz = name === 'zstd' ? fzstd() : null;
  try {
    switch (name) {
      case 'gzip':
        return gunzipSync(bytes, { maxOutputLength: maxBytes });
      case 'snappy':
        return snappyDecompress(snappy!, asBuffer(bytes), maxBytes);
      case 'lz4':
        return lz4FrameDecompress(bytes, maxBytes);
      case 'zstd': {
        const declared = zstdContentSize(bytes);
        if (declared > maxBytes) throw corrupt(name, `frame declares ${declared} bytes, more than ${maxBytes}`);
        const out = fz!.decompress(bytes);
        if (out.byteLength > maxBytes) throw corrupt(name, `decompresses to more than ${maxBytes} bytes`);
        return asBuffer(out);
      }
      default:
        throw unsupported(`unknown compression codec '${String(name)}'`);
    }
  } catch (e: unknown) {
    if (e instanceof StreamsError) throw e;
    throw corrupt(name, `the records section does not decompress (${e instanceof Error ? e.message : String(e)})`, e);
  }
}

// ------------------------------------------------------------------------------------------------ snappy

/** The part of snappyjs used here (raw snappy; Buffer in, Buffer out). */
interface SnappyJs {
  compress(input: Buffer): Buffer;
  uncompress(input: Buffer, maxLength?: number): Buffer;
}

const XERIAL_MAGIC = Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00]);
const XERIAL_HEADER_BYTES = 16;
/** A snappy element expands to at most 64 bytes from 3 (a copy with a 2-byte offset): no valid block exceeds this ratio. */
const SNAPPY_MAX_RATIO = 22;

function snappyDecompress(snappy: SnappyJs, src: Buffer, maxBytes: number): Buffer {
  const bound = (n: number): number => Math.min(maxBytes, n * SNAPPY_MAX_RATIO + 16);
  if (src.length < XERIAL_HEADER_BYTES || src.compare(XERIAL_MAGIC, 0, 8, 0, 8) !== 0) return snappy.uncompress(src, bound(src.length));
  // Kafka's Java producer: xerial blocks, each an int32BE length and a raw snappy block.
  const parts: Buffer[] = [];
  let total = 0;
  for (let p = XERIAL_HEADER_BYTES; p < src.length; ) {
    if (p + 4 > src.length) throw corrupt('snappy', 'xerial stream ends inside a block length');
    const length = src.readInt32BE(p);
    if (length < 0 || p + 4 + length > src.length) throw corrupt('snappy', `xerial block of ${length} bytes runs past the data`);
    const part = snappy.uncompress(src.subarray(p + 4, p + 4 + length), bound(length));
    total += part.length;
    if (total > maxBytes) throw corrupt('snappy', `decompresses to more than ${maxBytes} bytes`);
    parts.push(part);
    p += 4 + length;
  }
  return parts.length === 1 ? parts[0]! : Buffer.concat(parts, total);
}

// ------------------------------------------------------------------------------------------------ zstd

/** Kafka's default zstd level (`compression.zstd.level`, as librdkafka's default). */
const ZSTD_LEVEL = 3;
const ZSTD_MAGIC = 0xfd2fb528;

/**
 * The content size a zstd frame header declares, or -1 when it declares none (or the bytes are no zstd frame:
 * the decoder then says what is wrong).
 */
function zstdContentSize(src: Uint8Array): number {
  if (src.length < 5 || Buffer.from(src.buffer, src.byteOffset, 4).readUInt32LE(0) !== ZSTD_MAGIC) return -1;
  const fhd = src[4]!;
  const fcsFlag = fhd >> 6;
  const isSingleSegment = (fhd & 0x20) !== 0;
  const fcsBytes = [isSingleSegment ? 1 : 0, 2, 4, 8][fcsFlag]!;
  if (fcsBytes === 0) return -1;
  const at = 5 + (isSingleSegment ? 0 : 1) + [0, 1, 2, 4][fhd & 3]!;
  if (at + fcsBytes > src.length) return -1;
  let size = 0;
  for (let i = fcsBytes - 1; i >= 0; i--) size = size * 256 + src[at + i]!;
  return fcsBytes === 2 ? size + 256 : size;
}

// ------------------------------------------------------------------------------------------------ packages

interface Lz4Wasm {
  compress(input: Uint8Array): Uint8Array;
}
interface Fzstd {
  decompress(input: Uint8Array): Uint8Array;
}
interface ZstdWasm {
  compress(input: Uint8Array, level?: number): Uint8Array;
}
/** The Emscripten module object of @bokuweb/zstd-wasm (dist/common/module.js). */
interface EmscriptenModule {
  instantiateWasm?: (imports: object, receive: (instance: WasmInstance) => unknown) => object;
  init(): unknown;
  calledRun?: boolean;
}
/** The WebAssembly API this module uses (the lib settings here do not declare it). */
interface WasmInstance {
  readonly exports: object;
}
interface WasmApi {
  readonly Module: new (bytes: Uint8Array) => object;
  readonly Instance: new (module: object, imports: object) => WasmInstance;
}

const requireHere = createRequire(import.meta.url);
const loaded = new Map<string, unknown>();

function load<T>(pkg: string, codec: CompressionCodec, init: (mod: unknown) => T = (mod) => mod as T): T {
  let mod = loaded.get(pkg) as T | undefined;
  if (mod !== undefined) return mod;
  try {
    mod = init(requireHere(pkg));
  } catch (e: unknown) {
    throw unsupported(`${codec} needs the npm package ${pkg}, which could not be loaded: ${e instanceof Error ? e.message : String(e)}`, e);
  }
  loaded.set(pkg, mod);
  return mod;
}

function snappyjs(): SnappyJs {
  return load<SnappyJs>('snappyjs', 'snappy');
}

function lz4Wasm(): Lz4Wasm {
  return load<Lz4Wasm>('lz4-wasm-nodejs', 'lz4');
}

function fzstd(): Fzstd {
  return load<Fzstd>('fzstd', 'zstd');
}

function zstdWasm(): ZstdWasm {
  return load<ZstdWasm>('@bokuweb/zstd-wasm', 'zstd', (mod) => {
    // The package exports only its entry point; the Emscripten module and the .wasm file sit beside it.
    const dir = path.dirname(requireHere.resolve('@bokuweb/zstd-wasm'));
    const { Module } = requireHere(path.join(dir, 'module.js')) as { Module: EmscriptenModule };
    if (Module.calledRun !== true) {
      const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
      const wasm = new api.Module(readFileSync(path.join(dir, 'zstd.wasm')));
      Module.instantiateWasm = (imports, receive) => {
        const instance = new api.Instance(wasm, imports);
        receive(instance);
        return instance.exports;
      };
      Module.init();
    }
    if (Module.calledRun !== true) throw new Error('the zstd WASM module did not initialise synchronously');
    return mod as ZstdWasm;
  });
}
