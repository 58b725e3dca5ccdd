/**
 * The LZ4 frame format (lz4_Frame_format.md v1.6), as Kafka uses it for record batches with codec 3 (KIP-57): the
 * framing written here, the block codec behind it passed in (compression.ts gives it lz4_flex's block compressor).
 *
 * ```
 * Frame   magic uint32LE 0x184D2204 | FLG | BD | [contentSize uint64LE] | [dictId uint32LE] | HC | Block* | EndMark
 *         | [contentChecksum uint32LE]
 * FLG     bits 7-6 version (01) | bit 5 block independence | bit 4 block checksum | bit 3 content size
 *         | bit 2 content checksum | bit 1 reserved (0) | bit 0 dictId
 * BD      bit 7 reserved | bits 6-4 block max size (4: 64 KiB, 5: 256 KiB, 6: 1 MiB, 7: 4 MiB) | bits 3-0 reserved
 * HC      (xxHash32(FLG .. dictId, seed 0) >> 8) & 0xFF
 * Block   size uint32LE (bit 31: stored uncompressed) | data | [blockChecksum uint32LE, xxHash32 of data]
 * EndMark uint32LE 0
 * ```
 *
 * Frames written: version 1, independent blocks (Kafka's Java client refuses anything else), 64 KiB blocks, no
 * checksums or content size, as Kafka's Java producer and librdkafka write them. Frames read: any of the above,
 * linked blocks too (every block is decoded into one output, so back references across blocks resolve); checksums
 * are verified when present. The decoder first walks the sequences to learn the exact output size, so the output is
 * allocated once and every write is known to be in bounds; a malformed block raises `StreamsError('CORRUPT_RECORD')`.
 * Concatenated frames are decoded one after the other.
 */
import { StreamsError } from '../errors.js';

const MAGIC = 0x184d2204;
const FLG_VERSION_MASK = 0xc0;
const FLG_VERSION_1 = 0x40;
const FLG_BLOCK_INDEPENDENCE = 0x20;
const FLG_BLOCK_CHECKSUM = 0x10;
const FLG_CONTENT_SIZE = 0x08;
const FLG_CONTENT_CHECKSUM = 0x04;
const FLG_RESERVED = 0x02;
const FLG_DICT_ID = 0x01;
const BD_64KB = 4 << 4;
const UNCOMPRESSED_BIT = 0x8000_0000;
const BLOCK_BYTES = 64 * 1024;
/** lz4 block end conditions: a match needs 4 bytes, and the last 5 bytes of a block are literals. */
const MIN_MATCH = 4;

const PRIME1 = 0x9e3779b1;
const PRIME2 = 0x85ebca77;
const PRIME3 = 0xc2b2ae3d;
const PRIME4 = 0x27d4eb2f;
const PRIME5 = 0x165667b1;

function corrupt(message: string): StreamsError {
  return new StreamsError('CORRUPT_RECORD', `lz4 frame: ${message}`);
}

function u32(src: Uint8Array, p: number): number {
  return (src[p]! | (src[p + 1]! << 8) | (src[p + 2]! << 16) | (src[p + 3]! << 24)) >>> 0;
}

function rotl(x: number, r: number): number {
  return (x << r) | (x >>> (32 - r));
}

/**
 * xxHash32 of `buf[start, end)` with `seed`, as an unsigned number: the checksum of LZ4 frames.
 *
 * @example
 * ```ts
 * xxhash32(Buffer.from('abc'), 0, 3); // 0x32d153ff
 * ```
 */
export function xxhash32(buf: Uint8Array, start: number, end: number, seed = 0): number {
  let p = start;
  let h: number;
  if (end - start >= 16) {
    let v1 = (seed + PRIME1 + PRIME2) | 0;
    let v2 = (seed + PRIME2) | 0;
    let v3 = seed | 0;
    let v4 = (seed - PRIME1) | 0;
    for (const limit = end - 16; p <= limit; p += 16) {
      v1 = Math.imul(rotl((v1 + Math.imul(u32(buf, p), PRIME2)) | 0, 13), PRIME1);
      v2 = Math.imul(rotl((v2 + Math.imul(u32(buf, p + 4), PRIME2)) | 0, 13), PRIME1);
      v3 = Math.imul(rotl((v3 + Math.imul(u32(buf, p + 8), PRIME2)) | 0, 13), PRIME1);
      v4 = Math.imul(rotl((v4 + Math.imul(u32(buf, p + 12), PRIME2)) | 0, 13), PRIME1);
    }
    h = (rotl(v1, 1) + rotl(v2, 7) + rotl(v3, 12) + rotl(v4, 18)) | 0;
  } else {
    h = (seed + PRIME5) | 0;
  }
  h = (h + (end - start)) | 0;
  for (; p + 4 <= end; p += 4) h = Math.imul(rotl((h + Math.imul(u32(buf, p), PRIME3)) | 0, 17), PRIME4);
  for (; p < end; p++) h = Math.imul(rotl((h + Math.imul(buf[p]!, PRIME5)) | 0, 11), PRIME1);
  h ^= h >>> 15;
  h = Math.imul(h, PRIME2);
  h ^= h >>> 13;
  h = Math.imul(h, PRIME3);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Compresses one block with the LZ4 block format; returns null when the block does not shrink (it is then stored).
 *
 * @example
 * ```ts
 * const compressBlock: Lz4BlockCompressor = (block) => { const out = lz4Block(block); return out.length < block.length ? out : null; };
 * ```
 */
export type Lz4BlockCompressor = (block: Uint8Array) => Uint8Array | null;

/**
 * Wraps `bytes` in one LZ4 frame of independent 64 KiB blocks, each compressed with `compressBlock` (or stored when
 * it does not shrink). The result is what Kafka's Java producer and librdkafka write for codec 3.
 *
 * @example
 * ```ts
 * const frame = lz4FrameCompress(recordsSection, compressBlock);
 * lz4FrameDecompress(frame).equals(recordsSection); // true
 * ```
 */
export function lz4FrameCompress(bytes: Uint8Array, compressBlock: Lz4BlockCompressor): Buffer {
  const blocks: (Uint8Array | null)[] = [];
  let size = 7 + 4; // magic, FLG, BD, HC; EndMark
  for (let p = 0; p < bytes.length; p += BLOCK_BYTES) {
    const raw = bytes.subarray(p, Math.min(p + BLOCK_BYTES, bytes.length));
    const packed = compressBlock(raw);
    const use = packed !== null && packed.length < raw.length ? packed : null;
    blocks.push(use);
    size += 4 + (use === null ? raw.length : use.length);
  }
  const out = Buffer.allocUnsafe(size);
  out.writeUInt32LE(MAGIC, 0);
  out[4] = FLG_VERSION_1 | FLG_BLOCK_INDEPENDENCE;
  out[5] = BD_64KB;
  out[6] = (xxhash32(out, 4, 6) >>> 8) & 0xff;
  let w = 7;
  for (let i = 0; i < blocks.length; i++) {
    const packed = blocks[i]!;
    const start = i * BLOCK_BYTES;
    if (packed === null) {
      const end = Math.min(start + BLOCK_BYTES, bytes.length);
      out.writeUInt32LE((UNCOMPRESSED_BIT | (end - start)) >>> 0, w);
      out.set(bytes.subarray(start, end), w + 4);
      w += 4 + end - start;
    } else {
      out.writeUInt32LE(packed.length, w);
      out.set(packed, w + 4);
      w += 4 + packed.length;
    }
  }
  out.writeUInt32LE(0, w);
  return out;
}

/** A block of a frame being decoded: where its data lies and whether it is stored as is. */
interface BlockSpan {
  readonly start: number;
  readonly end: number;
  readonly isStored: boolean;
}

/** A parsed frame: its blocks and flags, the position after it and the size of its content. */
interface FrameLayout {
  readonly blocks: BlockSpan[];
  readonly hasContentChecksum: boolean;
  readonly contentSize: number;
  readonly end: number;
}

/**
 * Decompresses one or more concatenated LZ4 frames into one Buffer allocated at its exact size. Throws
 * `StreamsError('CORRUPT_RECORD')` for anything malformed (bad magic or version, header checksum, a block that does
 * not decode, a checksum mismatch, a declared content size that does not match) and for a result larger than
 * `maxBytes`.
 *
 * @example
 * ```ts
 * const records = lz4FrameDecompress(batch.subarray(61));
 * ```
 */
export function lz4FrameDecompress(src: Uint8Array, maxBytes = 0x7fff_ffff): Buffer {
  const frames: FrameLayout[] = [];
  let total = 0;
  for (let p = 0; p < src.length; ) {
    const frame = layoutFrame(src, p);
    total += frame.contentSize;
    if (total > maxBytes) throw corrupt(`decompresses to more than ${maxBytes} bytes`);
    frames.push(frame);
    p = frame.end;
  }
  if (frames.length === 0) throw corrupt('no frame');
  const result = Buffer.allocUnsafe(total);
  // Plain Uint8Array views keep the byte loops below monomorphic (a Buffer is a subclass with its own map).
  const out = new Uint8Array(result.buffer, result.byteOffset, total);
  const input = new Uint8Array(src.buffer, src.byteOffset, src.length);
  let w = 0;
  for (const frame of frames) {
    const frameStart = w;
    for (const b of frame.blocks) {
      if (b.isStored) {
        out.set(input.subarray(b.start, b.end), w);
        w += b.end - b.start;
      } else {
        w = decodeBlock(input, b.start, b.end, out, w, frameStart);
      }
    }
    if (frame.hasContentChecksum && xxhash32(out, frameStart, w) !== u32(input, frame.end - 4)) throw corrupt('content checksum mismatch');
  }
  return result;
}

/** Reads a frame's descriptor and block table, checking everything but the blocks' contents. */
function layoutFrame(src: Uint8Array, p: number): FrameLayout {
  if (p + 7 > src.length) throw corrupt(`truncated frame header at ${p}`);
  if (u32(src, p) !== MAGIC) throw corrupt(`bad magic 0x${u32(src, p).toString(16)} at ${p}`);
  const flg = src[p + 4]!;
  if ((flg & FLG_VERSION_MASK) !== FLG_VERSION_1) throw corrupt(`unsupported version ${(flg & FLG_VERSION_MASK) >> 6}`);
  if ((flg & FLG_RESERVED) !== 0 || (src[p + 5]! & 0x8f) !== 0) throw corrupt('reserved descriptor bits set');
  const blockMax = 1 << (8 + 2 * ((src[p + 5]! >> 4) & 7));
  if (blockMax < BLOCK_BYTES) throw corrupt(`invalid block max size id ${(src[p + 5]! >> 4) & 7}`);
  let q = p + 6;
  let declaredSize = -1;
  if ((flg & FLG_CONTENT_SIZE) !== 0) {
    if (q + 8 > src.length) throw corrupt('truncated content size');
    const high = u32(src, q + 4);
    if (high >= 0x20_0000) throw corrupt('content size beyond 2^53');
    declaredSize = high * 0x1_0000_0000 + u32(src, q);
    q += 8;
  }
  if ((flg & FLG_DICT_ID) !== 0) throw corrupt('frames with a dictionary are not supported');
  if (q >= src.length) throw corrupt('truncated frame header');
  if (src[q] !== ((xxhash32(src, p + 4, q) >>> 8) & 0xff)) throw corrupt('header checksum mismatch');
  q++;
  const hasBlockChecksum = (flg & FLG_BLOCK_CHECKSUM) !== 0;
  const blocks: BlockSpan[] = [];
  let contentSize = 0;
  for (;;) {
    if (q + 4 > src.length) throw corrupt('truncated before the end mark');
    const word = u32(src, q);
    q += 4;
    if (word === 0) break;
    const isStored = (word & UNCOMPRESSED_BIT) !== 0;
    const length = word & 0x7fff_ffff;
    if (length > blockMax) throw corrupt(`block of ${length} bytes exceeds the frame's maximum ${blockMax}`);
    const end = q + length;
    if (end + (hasBlockChecksum ? 4 : 0) > src.length) throw corrupt('truncated block');
    if (hasBlockChecksum && xxhash32(src, q, end) !== u32(src, end)) throw corrupt('block checksum mismatch');
    const produced = isStored ? length : blockOutputSize(src, q, end);
    if (produced > blockMax) throw corrupt(`block decodes to ${produced} bytes, beyond the frame's maximum ${blockMax}`);
    contentSize += produced;
    blocks.push({ start: q, end, isStored });
    q = end + (hasBlockChecksum ? 4 : 0);
  }
  const hasContentChecksum = (flg & FLG_CONTENT_CHECKSUM) !== 0;
  if (hasContentChecksum) {
    if (q + 4 > src.length) throw corrupt('truncated content checksum');
    q += 4;
  }
  if (declaredSize >= 0 && declaredSize !== contentSize) throw corrupt(`content size ${contentSize} differs from the declared ${declaredSize}`);
  return { blocks, hasContentChecksum, contentSize, end: q };
}

/** The number of bytes a compressed block decodes to, from its sequences alone (literals are skipped, not read). */
function blockOutputSize(src: Uint8Array, p: number, end: number): number {
  let n = 0;
  for (;;) {
    if (p >= end) throw corrupt('block ends inside a sequence');
    const token = src[p++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      for (let b = 255; b === 255; ) {
        if (p >= end) throw corrupt('block ends inside a literal length');
        b = src[p++]!;
        literals += b;
      }
    }
    p += literals;
    n += literals;
    if (p === end) return n; // the last sequence has literals only
    if (p + 2 > end) throw corrupt('block ends inside a sequence');
    p += 2;
    let match = token & 15;
    if (match === 15) {
      for (let b = 255; b === 255; ) {
        if (p >= end) throw corrupt('block ends inside a match length');
        b = src[p++]!;
        match += b;
      }
    }
    n += match + MIN_MATCH;
  }
}

/**
 * Decodes the block `src[p, end)` into `out` at `w` (its size was checked by {@link blockOutputSize}, so writes stay
 * in bounds); back references may reach to `frameStart`. Returns the new write position.
 */
function decodeBlock(src: Uint8Array, p: number, end: number, out: Uint8Array, w: number, frameStart: number): number {
  for (;;) {
    const token = src[p++]!;
    let literals = token >>> 4;
    if (literals === 15) {
      let b: number;
      do {
        b = src[p++]!;
        literals += b;
      } while (b === 255);
    }
    if (literals < 16) {
      for (let i = 0; i < literals; i++) out[w + i] = src[p + i]!;
    } else {
      out.set(src.subarray(p, p + literals), w);
    }
    p += literals;
    w += literals;
    if (p === end) return w;
    const offset = src[p]! | (src[p + 1]! << 8);
    p += 2;
    if (offset === 0 || offset > w - frameStart) throw corrupt(`match offset ${offset} reaches before the frame`);
    let match = token & 15;
    if (match === 15) {
      let b: number;
      do {
        b = src[p++]!;
        match += b;
      } while (b === 255);
    }
    match += MIN_MATCH;
    let from = w - offset;
    if (match <= 32 || offset < match) {
      // Short or overlapping (a repeated pattern): byte by byte, which also replicates the pattern as LZ4 intends.
      for (const stop = w + match; w < stop; ) out[w++] = out[from++]!;
    } else {
      out.copyWithin(w, from, from + match);
      w += match;
    }
  }
}
