import { describe, expect, it } from 'vitest';
import { Serdes } from '../src/serdes/serdes.js';
import { Topology } from '../src/topology/topology.js';
import { TopologyTestDriver } from './testing/topology-test-driver.js';

describe('default serdes', () => {
  it('values default to MsgPack (any JS value round-trips), keys to raw bytes', () => {
    const seen: unknown[] = [];
    const topology = new Topology()
      .addSource('In', ['in'])
      .addProcessor('Look', () => ({ process: (r) => void seen.push([r.key, r.value]) }), 'In')
      .addSink('Out', 'out', {}, 'In');
    const driver = new TopologyTestDriver(topology);
    driver.createInputTopic('in', Serdes.ByteArray(), Serdes.MsgPack<{ n: number; tags: string[] }>()).pipeInput(Buffer.from('k'), { n: 1, tags: ['a'] });
    expect(seen).toEqual([[Buffer.from('k'), { n: 1, tags: ['a'] }]]);
    expect(driver.createOutputTopic('out', Serdes.String(), Serdes.MsgPack()).readKeyValue()).toEqual({ key: 'k', value: { n: 1, tags: ['a'] } });
    driver.close();
  });
});
