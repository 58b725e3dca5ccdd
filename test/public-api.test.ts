import { describe, expect, it } from 'vitest';
import * as api from '../src/index.js';

describe('the package face (src/index.ts)', () => {
  it('exports exactly the curated runtime names', () => {
    // Adding or removing a public name is an API decision: update this list deliberately.
    expect(Object.keys(api).sort()).toEqual(
      [
        'Branched',
        'BufferConfig',
        'EmitStrategy',
        'JoinWindows',
        'Joined',
        'Suppressed',
        'Broker',
        'Consumed',
        'Grouped',
        'Materialized',
        'Named',
        'Printed',
        'Produced',
        'Repartitioned',
        'SessionWindows',
        'SlidingWindows',
        'StreamJoined',
        'StreamsBuilder',
        'TimeWindows',
        'WindowedSerdes',
        'changeSerde',
        'sessionWindow',
        'timeWindow',
        'windowedEquals',
        'KafkaStreams',
        'KafkaServer',
        'kafkaClients',
        'StreamsHttpServer',
        'toPrometheusText',
        'PROMETHEUS_CONTENT_TYPE',
        'InteractiveQueryClient',
        'InteractiveQueryError',
        'QueryableStoreTypes',
        'Record',
        'Stores',
        'TableJoined',
        'TestInputTopic',
        'TestOutputTopic',
        'Topology',
        'TopologyDescription',
        'TopologyError',
        'TopologyTestDriver',
        'changelogTopicName',
        'CONSUMER_OFFSETS_TOPIC',
        'DEFAULT_TOPIC_CONFIG',
        'FileStorage',
        'ManualClock',
        'MemoryStorage',
        'NO_HEADERS',
        'RangeAssignor',
        'RoundRobinAssignor',
        'Serdes',
        'StickyAssignor',
        'StreamsError',
        'defaultLogger',
        'deserializeAt',
        'inProcessClients',
        'isStreamsError',
        'murmur2',
        'partitionForKey',
        'serdeFrom',
        'serializeFor',
        'silentLogger',
        'systemClock',
        'validateTopicName',
      ].sort(),
    );
  });

  it('has no default export and no undefined export', () => {
    expect('default' in api).toBe(false);
    for (const [name, value] of Object.entries(api)) expect(value, name).toBeDefined();
  });
});
