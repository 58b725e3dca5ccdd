import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import { createRequire } from 'node:module';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../errors.js';
import { codecById, codecId, compress, COMPRESSION_CODECS, decompress, isCompressionCodec, type CompressionCodec } from './compression.js';
import { lz4FrameCompress, lz4FrameDecompress, xxhash32 } from './lz4-frame.js';

/** Reads a fixture: hex digits, whitespace ignored, `#` to end of line is a comment. */
function fixture(name: string): Buffer {
  const text = readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8');
  return Buffer.from(text.replace(/#.*$/gm, '').replace(/\s+/g, ''), 'hex');
}

/** The content of the lz4/zstd CLI fixtures (see their header comments). */
function compressionFixtureContent(): Buffer {
  let s = '';
  for (let i = 0; i < 1600; i++) s += `line ${i} ${'abcdefghij'.repeat(i % 8)}\n`;
  return Buffer.from(s);
}

function thrownCode(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e: unknown) {
    return isStreamsError(e) ? e.code : `not a StreamsError: ${String(e)}`;
  }
  return undefined;
}

const CODECS = ['gzip', 'snappy', 'lz4', 'zstd'] as const;
/** `n` bytes of record-like text (JSON lines with a few varying fields), compressible as real records are. */
const text = (n: number): Buffer =>
  Buffer.from(Array.from({ length: Math.ceil(n / 40) }, (_, i) => `{"user":"u${i % 50}","page":"/p/${i % 7}","n":${i}}\n`).join('').slice(0, n));

describe('codec registry', () => {
  it('maps the attribute ids 0-4 to Kafka codec names and refuses the unassigned 5-7', () => {
    expect(COMPRESSION_CODECS.map((c) => codecId(c))).toEqual([0, 1, 2, 3, 4]);
    expect([0, 1, 2, 3, 4].map(codecById)).toEqual(['none', 'gzip', 'snappy', 'lz4', 'zstd']);
    for (const id of [5, 6, 7, -1, 1.5]) expect(thrownCode(() => codecById(id))).toBe('UNSUPPORTED_COMPRESSION_TYPE');
    expect(thrownCode(() => compress(5, Buffer.from('x')))).toBe('UNSUPPORTED_COMPRESSION_TYPE');
    expect(thrownCode(() => decompress(7, Buffer.from('x')))).toBe('UNSUPPORTED_COMPRESSION_TYPE');
    expect(thrownCode(() => compress('brotli' as CompressionCodec, Buffer.from('x')))).toBe('UNSUPPORTED_COMPRESSION_TYPE');
    expect([isCompressionCodec('lz4'), isCompressionCodec('producer'), isCompressionCodec(3)]).toEqual([true, false, false]);
  });

  it("'none' hands the bytes back without copying", () => {
    const bytes = Buffer.from('abc');
    expect(compress('none', bytes)).toBe(bytes);
    expect(decompress(0, bytes)).toBe(bytes);
  });

  it.each(CODECS)('%s: ids and names select the same codec, and the output shrinks repetitive data', (codec) => {
    const data = text(200_000);
    const packed = compress(codecId(codec), data);
    expect(packed.length).toBeLessThan(data.length / 2);
    expect(decompress(codec, packed).equals(data)).toBe(true);
    expect(decompress(codecId(codec), compress(codec, data)).equals(data)).toBe(true);
  });

  test.prop([fc.constantFrom(...CODECS), fc.oneof(fc.uint8Array({ maxLength: 300 }), fc.uint8Array({ minLength: 60_000, maxLength: 140_000 }))], { numRuns: 60 })(
    'decompress(compress(x)) is x for every codec, random (incompressible) bytes included',
    (codec, bytes) => {
      expect(Buffer.compare(decompress(codec, compress(codec, bytes)), bytes)).toBe(0);
    },
  );

  test.prop([fc.constantFrom(...CODECS), fc.uint8Array({ maxLength: 400 })])('garbage never decompresses to anything but a CORRUPT_RECORD error or bytes', (codec, bytes) => {
    let code: string | undefined;
    try {
      decompress(codec, bytes);
    } catch (e: unknown) {
      code = isStreamsError(e) ? e.code : `not a StreamsError: ${String(e)}`;
    }
    expect([undefined, 'CORRUPT_RECORD']).toContain(code);
  });

  it.each(CODECS)('%s: refuses a result larger than maxBytes', (codec) => {
    const packed = compress(codec, Buffer.alloc(100_000, 7));
    expect(decompress(codec, packed, 100_000).length).toBe(100_000);
    expect(thrownCode(() => decompress(codec, packed, 99_999))).toBe('CORRUPT_RECORD');
  });
});

describe('gzip', () => {
  it('reads concatenated members, as gzip readers must', () => {
    const both = Buffer.concat([gzipSync(Buffer.from('first,')), gzipSync(Buffer.from('second'))]);
    expect(decompress('gzip', both).toString()).toBe('first,second');
  });
});

describe('snappy', () => {
  const snappyjs = createRequire(import.meta.url)('snappyjs') as { compress(b: Buffer): Buffer };

  /** Kafka's Java producer framing: `\x82SNAPPY\0`, version 1, compatible version 1, then length-prefixed raw blocks. */
  function xerial(data: Buffer, blockBytes: number): Buffer {
    const parts: Buffer[] = [Buffer.from([0x82, 0x53, 0x4e, 0x41, 0x50, 0x50, 0x59, 0x00, 0, 0, 0, 1, 0, 0, 0, 1])];
    for (let p = 0; p < data.length; p += blockBytes) {
      const block = snappyjs.compress(data.subarray(p, p + blockBytes));
      const length = Buffer.alloc(4);
      length.writeInt32BE(block.length);
      parts.push(length, block);
    }
    return Buffer.concat(parts);
  }

  it('writes raw snappy (as librdkafka does) and reads both raw and xerial-framed streams', () => {
    const data = text(100_000);
    expect(compress('snappy', data).equals(snappyjs.compress(data))).toBe(true);
    const framed = xerial(data, 32 * 1024);
    expect(decompress('snappy', framed).equals(data)).toBe(true);
    expect(decompress('snappy', xerial(data, 200_000)).equals(data)).toBe(true);
    expect(decompress('snappy', xerial(Buffer.alloc(0), 10)).length).toBe(0);
  });

  it('refuses a truncated xerial stream', () => {
    const framed = xerial(text(50_000), 16 * 1024);
    expect(thrownCode(() => decompress('snappy', framed.subarray(0, framed.length - 3)))).toBe('CORRUPT_RECORD');
    expect(thrownCode(() => decompress('snappy', framed.subarray(0, 18)))).toBe('CORRUPT_RECORD');
  });
});

describe('lz4 frames', () => {
  it('xxhash32 matches the reference vectors', () => {
    const s = (x: string): Buffer => Buffer.from(x);
    expect(xxhash32(s(''), 0, 0)).toBe(0x02cc5d05);
    expect(xxhash32(s('abc'), 0, 3)).toBe(0x32d153ff);
    expect(xxhash32(s('Nobody inspects the spammish repetition'), 0, 39)).toBe(0xe2293b2f);
    expect(xxhash32(s('xxabcxx'), 2, 5)).toBe(0x32d153ff);
  });

  it('reads frames of the reference lz4 CLI: linked blocks with content size and checksum, and block checksums', () => {
    const content = compressionFixtureContent();
    expect(decompress('lz4', fixture('lz4-cli-linked-checksums.hex')).equals(content)).toBe(true);
    expect(decompress('lz4', fixture('lz4-cli-block-checksums.hex')).equals(content)).toBe(true);
  });

  it('writes version 1 frames of independent 64 KiB blocks without checksums (what Kafka accepts)', () => {
    const data = text(150_000);
    const frame = compress('lz4', data);
    expect(frame.readUInt32LE(0)).toBe(0x184d2204);
    expect([frame[4], frame[5]]).toEqual([0x60, 0x40]);
    expect(frame[6]).toBe((xxhash32(frame, 4, 6) >>> 8) & 0xff);
    // Three blocks (64 KiB, 64 KiB, the rest), then the end mark.
    let p = 7;
    const sizes: number[] = [];
    while (frame.readUInt32LE(p) !== 0) {
      sizes.push(frame.readUInt32LE(p) & 0x7fff_ffff);
      p += 4 + sizes[sizes.length - 1]!;
    }
    expect(sizes).toHaveLength(3);
    expect(p + 4).toBe(frame.length);
  });

  it('stores a block that does not shrink', () => {
    const noise = Buffer.from(Array.from({ length: 5000 }, (_, i) => (i * 2654435761) >>> 24));
    const frame = lz4FrameCompress(noise, () => null);
    expect(frame.readUInt32LE(7)).toBe((0x8000_0000 | 5000) >>> 0);
    expect(lz4FrameDecompress(frame).equals(noise)).toBe(true);
  });

  it('refuses damaged frames: checksums, header, block lengths, back references', () => {
    const linked = fixture('lz4-cli-linked-checksums.hex');
    const blocks = fixture('lz4-cli-block-checksums.hex');
    const flip = (b: Buffer, at: number): Buffer => {
      const c = Buffer.from(b);
      c[at]! ^= 0x01;
      return c;
    };
    expect(thrownCode(() => decompress('lz4', flip(linked, 4)))).toBe('CORRUPT_RECORD'); // FLG: header checksum
    expect(thrownCode(() => decompress('lz4', flip(linked, 0)))).toBe('CORRUPT_RECORD'); // magic
    expect(thrownCode(() => decompress('lz4', flip(linked, linked.length - 1)))).toBe('CORRUPT_RECORD'); // content checksum
    expect(thrownCode(() => decompress('lz4', flip(blocks, 200)))).toBe('CORRUPT_RECORD'); // block checksum
    expect(thrownCode(() => decompress('lz4', linked.subarray(0, linked.length - 10)))).toBe('CORRUPT_RECORD');
    expect(thrownCode(() => decompress('lz4', Buffer.alloc(0)))).toBe('CORRUPT_RECORD');
    // A block whose first sequence copies from before the frame start.
    const header = lz4FrameCompress(Buffer.alloc(0), () => null).subarray(0, 7);
    // Block: literal 'a' then a 4-byte match at offset 5 (only 1 byte exists), then a last literal 'b'.
    const bad = Buffer.concat([header, Buffer.from([6, 0, 0, 0, 0x10, 0x61, 0x05, 0x00, 0x10, 0x62]), Buffer.alloc(4)]);
    expect(() => lz4FrameDecompress(bad)).toThrow(/offset 5 reaches before the frame/);
    bad[13] = 0x01; // offset 1: 'a' repeated, a valid block
    expect(lz4FrameDecompress(bad).toString()).toBe('aaaaab');
  });

  test.prop([fc.uint8Array({ minLength: 1, maxLength: 3000 }), fc.nat(), fc.integer({ min: 1, max: 255 })])(
    'a damaged frame of the independent kind decodes to the original, to other bytes, or throws CORRUPT_RECORD',
    (bytes, at, mask) => {
      const frame = compress('lz4', Buffer.concat([Buffer.from(bytes), Buffer.from(bytes)]));
      frame[at % frame.length]! ^= mask;
      expect([undefined, 'CORRUPT_RECORD']).toContain(thrownCode(() => decompress('lz4', frame)));
    },
  );
});

describe('zstd', () => {
  it('reads a frame without a content size (as Kafka Java producers write) and writes frames fzstd and zstd agree on', () => {
    const content = compressionFixtureContent();
    expect(decompress('zstd', fixture('zstd-cli-no-content-size.hex')).equals(content)).toBe(true);
    const frame = compress('zstd', content);
    expect(frame.readUInt32LE(0)).toBe(0xfd2fb528);
    expect(decompress('zstd', frame).equals(content)).toBe(true);
  });

  it('refuses a frame that declares more than maxBytes before allocating it', () => {
    const frame = compress('zstd', Buffer.alloc(5000, 1));
    expect(thrownCode(() => decompress('zstd', frame, 4999))).toBe('CORRUPT_RECORD');
    expect(thrownCode(() => decompress('zstd', frame.subarray(0, frame.length - 2)))).toBe('CORRUPT_RECORD');
  });
});
