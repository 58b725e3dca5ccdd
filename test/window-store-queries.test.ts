import { describe, expect, it } from 'vitest';
import { Record } from '../src/processor/record.js';
import type { ProcessorContext } from '../src/processor/processor-context.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { WindowStore } from '../src/state/window-store.js';
import type { SessionStore } from '../src/state/session-store.js';
import { timeWindow, sessionWindow } from '../src/state/windowed.js';
import { Topology } from '../src/topology/topology.js';
import { Stores } from '../state-stores/stores.js';
import { TopologyTestDriver } from '../runtime/testing/topology-test-driver.js';

const S = Serdes.String();

/** Puts every record into a 10 ms tumbling window store and a session store (one session per record). */
function topology(): Topology {
  return new Topology()
    .addSource('In', ['events'], { keySerde: S, valueSerde: S })
    .addProcessor(
      'Keep',
      () => {
        let windows: WindowStore<string, string>;
        let sessions: SessionStore<string, string>;
        return {
          init(c: ProcessorContext<never, never>) {
            windows = c.getStateStore('windows');
            sessions = c.getStateStore('sessions');
          },
          process(r: Record<string, string>) {
            windows.put(r.key, r.value, r.timestampMs - (r.timestampMs % 10));
            sessions.put({ key: r.key, window: sessionWindow(r.timestampMs, r.timestampMs) }, r.value);
          },
        };
      },
      'In',
    )
    .addStateStore(Stores.windowStoreBuilder(Stores.inMemoryWindowStore('windows', 86_400_000, 10, false), S, S), 'Keep')
    .addStateStore(Stores.sessionStoreBuilder(Stores.inMemorySessionStore('sessions', 86_400_000), S, S), 'Keep');
}

describe('window and session store queries over several tasks', () => {
  it('TopologyTestDriver.getWindowStore / getSessionStore see every task', () => {
    const driver = new TopologyTestDriver(topology());
    const input = driver.createInputTopic('events', S, S, { partitions: 3 });
    const keys = ['a', 'b', 'c', 'd', 'e', 'f'];
    keys.forEach((k, i) => input.pipeInput(k, `${k}${i}`, 100 + i * 10));
    const windows = driver.getWindowStore<string, string>('windows');
    expect(windows.fetch('c', 120)).toBe('c2');
    expect(windows.fetch('c', 130)).toBeNull();
    expect([...windows.fetchAll(0, 1000)].map((kv) => kv.value).sort()).toEqual(keys.map((k, i) => `${k}${i}`));
    expect([...windows.fetch('d', 0, 1000)]).toEqual([{ key: 130, value: 'd3' }]);
    const sessions = driver.getSessionStore<string, string>('sessions');
    expect(sessions.fetchSession('e', 140, 140)).toBe('e4');
    expect([...sessions.fetch('f')].map((kv) => [kv.key.key, kv.key.window.startMs, kv.value])).toEqual([['f', 150, 'f5']]);
    expect(timeWindow(0, 10).endMs).toBe(10);
    driver.close();
  });
});
