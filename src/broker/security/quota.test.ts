import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../util/clock.js';
import { parseQuotaSpecs, QuotaManager } from './quota.js';

describe('QuotaManager', () => {
  it('measures nothing and never throttles a principal without a quota', () => {
    const q = new QuotaManager({ 'User:alice': { producerByteRate: 1000 } }, { clock: new ManualClock() });
    expect(q.record('User:bob', 'produce', 1e9)).toBe(0);
    expect(q.record('User:alice', 'fetch', 1e9)).toBe(0); // alice has no consumer quota
    expect(q.quotaOf('User:bob', 'produce')).toBeUndefined();
  });

  it('applies the default to principals without their own quota', () => {
    const q = new QuotaManager({ 'User:<default>': { consumerByteRate: 500 }, 'User:alice': { consumerByteRate: 5000 } }, { clock: new ManualClock() });
    expect(q.quotaOf('User:bob', 'fetch')).toBe(500);
    expect(q.quotaOf('User:alice', 'fetch')).toBe(5000);
  });

  it("throttles once the rate over the window exceeds the quota, for as long as Kafka's formula says", () => {
    const clock = new ManualClock(1_000_000);
    // 11 samples of 200 ms: the rate is measured over at least 2000 ms.
    const q = new QuotaManager({ 'User:alice': { producerByteRate: 10_000 } }, { clock, windowNum: 11, windowSizeMs: 200 });
    // 10 000 B/s over a 2 s minimum span: 20 000 bytes pass unthrottled.
    expect(q.record('User:alice', 'produce', 20_000)).toBe(0);
    // 1000 more: 21 000 bytes take 2100 ms at the quota, and none has passed yet.
    expect(q.record('User:alice', 'produce', 1000)).toBe(2100);
    clock.advance(2000);
    // Now the samples span the window: Kafka's (rate - quota) / quota * span = (10.5 - 10) / 10 * 2000.
    expect(q.record('User:alice', 'produce', 0)).toBe(100);
    clock.advance(100);
    expect(q.record('User:alice', 'produce', 0)).toBe(0);
  });

  it('forgets samples older than the window', () => {
    const clock = new ManualClock(0);
    const q = new QuotaManager({ 'User:alice': { producerByteRate: 1000 } }, { clock, windowNum: 3, windowSizeMs: 100 });
    expect(q.record('User:alice', 'produce', 5000)).toBeGreaterThan(0);
    clock.advance(1000);
    expect(q.record('User:alice', 'produce', 100)).toBe(0);
  });

  it('caps a throttle at the whole window', () => {
    const clock = new ManualClock(0);
    const q = new QuotaManager({ 'User:alice': { producerByteRate: 1 } }, { clock, windowNum: 11, windowSizeMs: 1000 });
    expect(q.record('User:alice', 'produce', 1e9)).toBe(11_000);
  });

  it('refuses quotas that are not positive rates', () => {
    expect(() => new QuotaManager({ 'User:alice': { producerByteRate: 0 } }, { clock: new ManualClock() })).toThrow(/positive/);
    expect(() => new QuotaManager({ 'User:alice': { consumerByteRate: Number.NaN } }, { clock: new ManualClock() })).toThrow(/positive/);
  });

  it('a producer that honours every throttle time stays near its quota (property)', () => {
    // Requests of up to 100 ms of quota each: small against the 1.1 s window, as with real producers (a request of
    // more than a window's worth is muted for one window at most: the cap).
    const quotaAndSizes = fc
      .integer({ min: 1000, max: 100_000 })
      .chain((quota) => fc.tuple(fc.constant(quota), fc.array(fc.integer({ min: 1, max: Math.floor(quota / 10) }), { minLength: 50, maxLength: 300 })));
    fc.assert(
      fc.property(quotaAndSizes, ([quota, sizes]) => {
        const clock = new ManualClock(0);
        const q = new QuotaManager({ 'User:p': { producerByteRate: quota } }, { clock, windowNum: 11, windowSizeMs: 100 });
        let total = 0;
        for (const size of sizes) {
          total += size;
          clock.advance(q.record('User:p', 'produce', size) + 1);
        }
        const elapsedS = clock.nowMs() / 1000;
        // Bounded by the quota over the time taken, plus the first window's burst (one window of quota) and the
        // last requests, which no wait paid for yet.
        expect(total).toBeLessThanOrEqual(quota * (elapsedS + 1.5) + 2 * Math.max(...sizes));
      }),
    );
  });
});

describe('parseQuotaSpecs', () => {
  it("reads Kafka's names, merges specs per principal, and keeps principals holding = and ,", () => {
    expect(parseQuotaSpecs(['User:alice=producer_byte_rate=1048576,consumer_byte_rate=2097152', 'User:<default>=consumer_byte_rate=500', 'User:alice=producer_byte_rate=10'])).toEqual({
      'User:alice': { producerByteRate: 10, consumerByteRate: 2097152 },
      'User:<default>': { consumerByteRate: 500 },
    });
    expect(parseQuotaSpecs(['User:CN=alice,OU=ops=producer_byte_rate=7'])).toEqual({ 'User:CN=alice,OU=ops': { producerByteRate: 7 } });
  });

  it('refuses what it cannot read', () => {
    for (const bad of ['User:alice', '=producer_byte_rate=1', 'User:a=producer_byte_rate=0', 'User:a=producer_byte_rate=1,request_percentage=5', 'User:a=producer_byte_rate=1.5']) {
      expect(() => parseQuotaSpecs([bad]), bad).toThrow(expect.objectContaining({ code: 'INVALID_CONFIG' }));
    }
  });
});
