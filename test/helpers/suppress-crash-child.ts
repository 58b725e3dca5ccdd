/**
 * The process test/suppress-crash.test.ts kills with SIGKILL. It opens the broker on DATA_DIR (recovering it after a
 * previous kill) and runs a windowed count + suppress(untilWindowCloses) with KafkaStreams (at-least-once, state
 * under STATE_DIR) until everything in `clicks` is processed and committed and `final` holds at least EXPECTED
 * records. Then, in mode `hold`, it prints
 *
 *   ready <final records> <buffer changelog end offset>
 *
 * and idles (committing nothing new) until it is killed; in mode `finish` it prints `done ...` alike, closes cleanly
 * and exits 0.
 *
 *   node --import tsx test/helpers/suppress-crash-child.ts DATA_DIR STATE_DIR EXPECTED hold|finish
 */
import { pathToFileURL } from 'node:url';
// The pieces it needs only (not the package face), so the child starts fast.
import { Broker } from '../../src/broker/broker.js';
import { Serdes } from '../../src/serdes/serdes.js';
import { silentLogger } from '../../src/util/logger.js';
import { KafkaStreams } from '../../runtime/kafka-streams.js';
import { longSerde } from '../../dsl/long-serde.js';
import { Consumed } from '../../dsl/options/consumed.js';
import { Produced } from '../../dsl/options/produced.js';
import { BufferConfig, Suppressed } from '../../dsl/options/suppressed.js';
import { StreamsBuilder } from '../../dsl/streams-builder.js';
import { WindowedSerdes } from '../../dsl/windowed-serdes.js';
import { TimeWindows } from '../../dsl/windows/time-windows.js';

export const APPLICATION_ID = 'suppress-crash';
export const INPUT_TOPIC = 'clicks';
export const FINAL_TOPIC = 'final';
export const WINDOW_SIZE_MS = 10;
export const GRACE_MS = 5;
/** The suppress buffer's changelog (the topology below names the buffer store KTABLE-SUPPRESS-STATE-STORE-0000000004). */
export const BUFFER_CHANGELOG = `${APPLICATION_ID}-KTABLE-SUPPRESS-STATE-STORE-0000000004-changelog`;
export const WINDOWED_SERDE = WindowedSerdes.timeWindowedSerdeFrom(Serdes.String(), WINDOW_SIZE_MS);
/** Broker options the test and the child share (no background maintenance: the changelogs stay as written). */
export const BROKER_OPTIONS = { maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 } as const;

/** clicks -> per-key count in tumbling windows of 10 ms with 5 ms grace -> suppress until the window closes -> final. */
export function suppressCrashTopology(): ReturnType<StreamsBuilder['build']> {
  const builder = new StreamsBuilder();
  builder
    .stream(INPUT_TOPIC, Consumed.with(Serdes.String(), Serdes.Number()))
    .groupByKey()
    .windowedBy(TimeWindows.ofSizeAndGrace(WINDOW_SIZE_MS, GRACE_MS))
    .count()
    .suppress(Suppressed.untilWindowCloses(BufferConfig.unbounded()))
    .toStream()
    .to(FINAL_TOPIC, Produced.with(WINDOWED_SERDE, longSerde()));
  return builder.build();
}

async function main(dataDir: string, stateDir: string, expected: number, mode: 'hold' | 'finish'): Promise<void> {
  const broker = await Broker.open({ dataDir, logger: silentLogger(), ...BROKER_OPTIONS });
  const streams = new KafkaStreams(suppressCrashTopology(), {
    applicationId: APPLICATION_ID,
    broker,
    stateDir,
    commitIntervalMs: 50,
    pollMs: 10,
    sessionTimeoutMs: 1_000,
    heartbeatIntervalMs: 100,
    logger: silentLogger(),
  });
  await streams.start();
  const end = (topic: string): number => (broker.hasTopic(topic) ? broker.listOffset(topic, 0, 'latest') : 0);
  for (;;) {
    const committed = broker.groups.fetchOffsets(APPLICATION_ID).get(`${INPUT_TOPIC}-0`)?.offset ?? 0;
    if (streams.state === 'RUNNING' && committed === end(INPUT_TOPIC) && end(FINAL_TOPIC) >= expected) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  process.stdout.write(`${mode === 'hold' ? 'ready' : 'done'} ${end(FINAL_TOPIC)} ${end(BUFFER_CHANGELOG)}\n`);
  if (mode === 'hold') return; // the timers of the running app keep the process alive until the SIGKILL
  await streams.close();
  await broker.close();
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [dataDir, stateDir, expected, mode] = process.argv.slice(2);
  if (dataDir === undefined || stateDir === undefined || (mode !== 'hold' && mode !== 'finish')) {
    process.stderr.write('usage: suppress-crash-child.ts DATA_DIR STATE_DIR EXPECTED hold|finish\n');
    process.exit(2);
  }
  main(dataDir, stateDir, Number(expected ?? 0), mode).catch((e: unknown) => {
    process.stderr.write(`suppress-crash-child failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
