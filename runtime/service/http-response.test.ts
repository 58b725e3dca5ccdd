import { describe, expect, it } from 'vitest';
import { HttpError, toJson } from './http-response.js';
import { RecentErrors } from './recent-errors.js';

describe('toJson', () => {
  it('writes bigint as decimal strings and bytes as base64, anything else as JSON.stringify', () => {
    expect(toJson({ key: 'river', value: 12n })).toBe('{"key":"river","value":"12"}');
    expect(toJson([-(2n ** 70n), 1.5, null, 'x'])).toBe('["-1180591620717411303424",1.5,null,"x"]');
    expect(toJson({ b: Buffer.from('hi'), u: Uint8Array.of(0xff, 0) })).toBe('{"b":"aGk=","u":"/wA="}');
    expect(toJson(Buffer.from('top'))).toBe('"dG9w"');
    expect(toJson(undefined)).toBe('null');
    expect(toJson({ nested: { deep: [3n] } })).toBe('{"nested":{"deep":["3"]}}');
  });

  it('HttpError carries status, code and Retry-After seconds', () => {
    const e = new HttpError(503, 'REBALANCE_IN_PROGRESS', 'later', 1);
    expect([e.status, e.code, e.message, e.retryAfterS, e instanceof Error]).toEqual([503, 'REBALANCE_IN_PROGRESS', 'later', 1, true]);
  });
});

describe('RecentErrors', () => {
  it('keeps the last `capacity` errors, oldest first', () => {
    const errors = new RecentErrors(3);
    expect(errors.list()).toEqual([]);
    for (let i = 0; i < 5; i++) errors.add({ timeMs: i, source: 'http', code: 'INTERNAL', message: `e${i}` });
    expect(errors.list().map((e) => e.message)).toEqual(['e2', 'e3', 'e4']);
    errors.add({ timeMs: 5, source: 'streams', code: 'PROCESSING_FAILED', message: 'e5' });
    expect(errors.list().map((e) => e.timeMs)).toEqual([3, 4, 5]);
  });
});
