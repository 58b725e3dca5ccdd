import { describe, expect, it } from 'vitest';
import { ManualClock } from '../util/clock.js';
import type { Timers } from '../util/timers.js';
import { formatCount, Progress, progressLine } from './progress.js';

class Sink {
  readonly chunks: string[] = [];
  constructor(readonly isTTY: boolean) {}
  write(text: string): boolean {
    this.chunks.push(text);
    return true;
  }
}

describe('progress', () => {
  it('formats counts with thousands separators', () => {
    expect(formatCount(0)).toBe('0');
    expect(formatCount(999)).toBe('999');
    expect(formatCount(1000)).toBe('1,000');
    expect(formatCount(1234567.8)).toBe('1,234,567');
  });

  it('draws a bar with a percentage when the total is known, a counter otherwise', () => {
    expect(progressLine({ label: 'produce', unit: 'records', done: 500, total: 1000, ratePerSec: 250 })).toBe(
      'produce [############------------]  50% 500/1,000 records, 250 records/s',
    );
    expect(progressLine({ label: 'produce', unit: 'records', done: 2000, total: 1000, ratePerSec: 0 })).toContain('[########################] 100%');
    expect(progressLine({ label: 'produce', unit: 'records', done: 12345, ratePerSec: 1234.4 })).toBe('produce: 12,345 records, 1,234 records/s');
  });

  it('writes a log line per tick off a terminal, with the rate over the last interval', () => {
    const clock = new ManualClock(0);
    const sink = new Sink(false);
    const p = new Progress({ label: 'produce t', unit: 'records', sink, clock });
    p.add(1000);
    clock.advance(2000);
    p.tick();
    p.add(3000);
    clock.advance(1000);
    p.tick();
    expect(sink.chunks).toEqual(['produce t: 1,000 records, 500 records/s\n', 'produce t: 4,000 records, 3,000 records/s\n']);
    clock.advance(1000);
    expect(p.finish()).toEqual({ done: 4000, elapsedMs: 4000, ratePerSec: 1000 });
    // Nothing to clear off a terminal.
    expect(sink.chunks).toHaveLength(2);
  });

  it('redraws one line in place on a terminal and clears it when finished', () => {
    const clock = new ManualClock(0);
    const sink = new Sink(true);
    const p = new Progress({ label: 'delete', unit: 'topics', total: 4, sink, clock });
    p.add(1);
    clock.advance(1000);
    p.tick();
    p.add(1);
    clock.advance(1000);
    p.tick();
    p.finish();
    expect(sink.chunks[0]).toBe('\r\x1b[2Kdelete [######------------------]  25% 1/4 topics, 1 topics/s');
    expect(sink.chunks[1]).toMatch(/^\r\x1b\[2Kdelete \[#{12}-{12}\]  50% 2\/4/);
    expect(sink.chunks.at(-1)).toBe('\r\x1b[2K');
    expect(sink.chunks.every((c) => !c.includes('\n'))).toBe(true);
  });

  it('ticks on its own once started, never holding the process open, and stops when finished', () => {
    const pending = new Map<number, { fn: () => void; ms: number; keepAlive: boolean | undefined }>();
    let next = 0;
    const timers: Timers = {
      setTimeout: (fn, ms, keepAlive) => (pending.set(++next, { fn, ms, keepAlive }), next),
      clearTimeout: (h) => void pending.delete(h as number),
    };
    const fire = (): void => {
      const [h, t] = [...pending][0]!;
      pending.delete(h);
      t.fn();
    };
    const sink = new Sink(false);
    const p = new Progress({ label: 'x', unit: 'records', sink, intervalMs: 5, clock: new ManualClock(0), timers }).start();
    expect([...pending.values()]).toEqual([{ fn: expect.any(Function), ms: 5, keepAlive: undefined }]);
    p.add(1);
    fire();
    fire();
    expect(sink.chunks).toEqual(['x: 1 records, 0 records/s\n', 'x: 1 records, 0 records/s\n']);
    p.finish();
    expect(pending.size).toBe(0);
  });
});
