import { MemoryStorage, type LogFile, type Storage } from '../../src/broker/storage.js';
import type { TimerHandle, Timers } from '../../src/util/timers.js';

/**
 * Timers driven by the test: nothing fires until `advance`. Counts what was scheduled (to prove nothing polls); a
 * timer that a callback schedules inside the advanced span fires too, in time order.
 *
 * @example
 * ```ts
 * const timers = new ManualTimers();
 * const broker = await Broker.open({ timers });
 * timers.advance(500);
 * ```
 */
export class ManualTimers implements Timers {
  nowMs = 0;
  scheduled = 0;
  readonly #pending = new Map<number, { at: number; fn: () => void }>();
  #next = 1;

  setTimeout(fn: () => void, ms: number): TimerHandle {
    this.scheduled++;
    const id = this.#next++;
    this.#pending.set(id, { at: this.nowMs + ms, fn });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#pending.delete(handle as number);
  }

  get pendingCount(): number {
    return this.#pending.size;
  }

  advance(ms: number): void {
    const until = this.nowMs + ms;
    for (;;) {
      let due: [number, { at: number; fn: () => void }] | null = null;
      for (const e of this.#pending) if (e[1].at <= until && (due === null || e[1].at < due[1].at)) due = e;
      if (due === null) break;
      this.#pending.delete(due[0]);
      this.nowMs = due[1].at;
      due[1].fn();
    }
    this.nowMs = until;
  }
}

/**
 * MemoryStorage counting fdatasyncs per file; while `isHolding`, syncs wait until `release()`.
 *
 * @example
 * ```ts
 * const storage = new SyncCountingStorage(true); // every sync waits for release()
 * ```
 */
export class SyncCountingStorage implements Storage {
  readonly kind = 'memory' as const;
  readonly inner = new MemoryStorage();
  readonly syncs = new Map<string, number>();
  #held: (() => void)[] = [];

  constructor(public isHolding = false) {}

  get waitingSyncs(): number {
    return this.#held.length;
  }

  /** Lets the syncs waiting now complete (holding goes on for later ones while `isHolding`). */
  release(): void {
    const held = this.#held;
    this.#held = [];
    for (const r of held) r();
  }

  /** fdatasyncs of segment `.log` files. */
  logSyncs(): number {
    let n = 0;
    for (const [p, c] of this.syncs) if (p.endsWith('.log')) n += c;
    return n;
  }

  /** fdatasyncs of segment `.log` files, per partition directory name (e.g. `t-0`). */
  logSyncsByPartition(): Map<string, number> {
    const out = new Map<string, number>();
    for (const [p, c] of this.syncs) {
      if (!p.endsWith('.log')) continue;
      const dir = p.split('/').at(-2)!;
      out.set(dir, (out.get(dir) ?? 0) + c);
    }
    return out;
  }

  open(p: string): LogFile {
    const file = this.inner.open(p);
    const syncs = this.syncs;
    return {
      path: file.path,
      get size() {
        return file.size;
      },
      append: (d) => file.append(d),
      read: (pos, len) => file.read(pos, len),
      truncate: (s) => file.truncate(s),
      sync: async () => {
        syncs.set(p, (syncs.get(p) ?? 0) + 1);
        if (this.isHolding) await new Promise<void>((resolve) => this.#held.push(resolve));
        await file.sync();
      },
      syncNow: () => file.syncNow(),
      close: () => file.close(),
    };
  }

  mkdirp(dir: string): void {
    this.inner.mkdirp(dir);
  }
  list(dir: string): string[] {
    return this.inner.list(dir);
  }
  exists(p: string): boolean {
    return this.inner.exists(p);
  }
  readFile(p: string): Buffer | null {
    return this.inner.readFile(p);
  }
  writeFileAtomic(p: string, data: Uint8Array): void {
    this.inner.writeFileAtomic(p, data);
  }
  remove(p: string): void {
    this.inner.remove(p);
  }
  removeDir(p: string): void {
    this.inner.removeDir(p);
  }
  rename(from: string, to: string): void {
    this.inner.rename(from, to);
  }
}
