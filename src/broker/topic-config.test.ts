import { describe, expect, it } from 'vitest';
import { isStreamsError } from '../errors.js';
import { DEFAULT_TOPIC_CONFIG, parseTopicConfig, storedCodec, validateTopicName } from './topic-config.js';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e: unknown) {
    return isStreamsError(e) ? e.code : 'not a StreamsError';
  }
  return undefined;
}

describe('parseTopicConfig', () => {
  it('fills in Kafka defaults and reads decimal strings', () => {
    const c = parseTopicConfig({ 'segment.bytes': '1048576', 'cleanup.policy': 'delete,compact' });
    expect(c['segment.bytes']).toBe(1_048_576);
    expect(c['cleanup.policy']).toBe('compact,delete');
    expect(c['retention.ms']).toBe(DEFAULT_TOPIC_CONFIG['retention.ms']);
  });

  it.each([
    [{ 'segment.bytes': '' }],
    [{ 'segment.bytes': ' ' }],
    [{ 'segment.bytes': '0x400' }],
    [{ 'segment.bytes': '1e6' }],
    [{ 'retention.ms': -2 }],
    [{ 'retention.ms': 1.5 }],
    [{ toString: '1' }],
    [{ constructor: '1' }],
    [JSON.parse('{"__proto__": "1"}') as Record<string, string>],
    [{ 'cleanup.policy': 'forever' }],
    [{ 'message.timestamp.type': 'Now' }],
    [{ 'compression.type': 'none' }],
    [{ 'compression.type': 'brotli' }],
    [{ 'compression.type': 'LZ4' }],
    [{ 'no.such.key': '1' }],
  ])('refuses %j with INVALID_CONFIG', (input) => {
    expect(codeOf(() => parseTopicConfig(input as never))).toBe('INVALID_CONFIG');
  });
});

describe('compression.type', () => {
  it("defaults to 'producer' (store as sent) and names the codec the broker re-codes to otherwise", () => {
    expect(DEFAULT_TOPIC_CONFIG['compression.type']).toBe('producer');
    expect(storedCodec(DEFAULT_TOPIC_CONFIG)).toBeNull();
    expect(storedCodec(parseTopicConfig({ 'compression.type': 'uncompressed' }))).toBe('none');
    for (const codec of ['gzip', 'snappy', 'lz4', 'zstd'] as const) {
      expect(storedCodec(parseTopicConfig({ 'compression.type': codec }))).toBe(codec);
    }
  });
});

describe('validateTopicName', () => {
  it.each(['a', 'A.b-c_9', 'x'.repeat(249)])('accepts %s', (name) => expect(codeOf(() => validateTopicName(name))).toBeUndefined());
  it.each(['', '.', '..', '../x', 'a/b', 'sp ace', 'x'.repeat(250), 'é'])('refuses %j', (name) => expect(codeOf(() => validateTopicName(name))).toBe('INVALID_TOPIC'));
});
