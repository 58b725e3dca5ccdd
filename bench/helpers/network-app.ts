/**
 * bench/helpers/network-app.ts — the network benchmark's KafkaStreams app, run as its own OS process against the
 * broker process over the Kafka protocol (`broker: '127.0.0.1:PORT'`):
 *
 *   node --import tsx bench/helpers/network-app.ts wordcount PORT STATE_DIR TOTAL_WORDS [COMMIT_MS]
 *     the DSL word count of bench/wordcount.ts (in-memory store, caching on); closes itself (its close commits)
 *     once its store has counted TOTAL_WORDS words
 *   node --import tsx bench/helpers/network-app.ts passthrough PORT STATE_DIR COMMIT_MS
 *     `latency-in` -> mapValues(identity) -> `latency-out` on bytes; closes on SIGTERM
 *
 * Prints `ready` once RUNNING, `processed` (wordcount) when every word is counted, and `closed {json}` with its own
 * peak RSS and CPU seconds after closing, then exits 0; exits 1 with a message on stderr when the app fails.
 */
import * as fs from 'node:fs';
import { pathToFileURL } from 'node:url';
import { KafkaStreams, Materialized, Serdes, StreamsBuilder, silentLogger, type Topology } from '../../src/index.js';
import { readCountStore, waitFor } from './streams-run.js';

/** The word count's input and output topics and its application id (bench/wordcount.ts's topology). */
export const WORDCOUNT = { applicationId: 'network-wordcount', input: 'text-lines', output: 'word-counts', store: 'counts' } as const;
/** The latency run's topics and application id. */
export const PASSTHROUGH = { applicationId: 'network-latency', input: 'latency-in', output: 'latency-out' } as const;

/** What the app reports on its `closed` line. */
export interface AppStats {
  /** The app process's peak RSS (VmHWM), bytes. */
  readonly peakRssBytes: number;
  /** CPU seconds (user + system) from RUNNING until closed. */
  readonly cpuS: number;
}

/**
 * bench/wordcount.ts's DSL word count over {@link WORDCOUNT}'s topics, with an in-memory store.
 *
 * @example
 * ```ts
 * const streams = new KafkaStreams(wordCountTopology(), { applicationId: 'wc', broker: '127.0.0.1:9092' });
 * ```
 */
export function wordCountTopology(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>(WORDCOUNT.input)
    .flatMapValues((v) => v.toLowerCase().split(/\W+/).filter(Boolean))
    .groupBy((_k, w) => w)
    .count(Materialized.as<string, number>(WORDCOUNT.store).withStoreType('in-memory'))
    .toStream()
    .to(WORDCOUNT.output);
  return builder.build();
}

/**
 * `latency-in` -> mapValues(identity) -> `latency-out`: the least an app can do with a record.
 *
 * @example
 * ```ts
 * const streams = new KafkaStreams(passthroughTopology(), { applicationId: 'lat', broker: '127.0.0.1:9092' });
 * ```
 */
export function passthroughTopology(): Topology {
  const builder = new StreamsBuilder();
  builder.stream<Uint8Array, Uint8Array>(PASSTHROUGH.input).mapValues((v) => v).to(PASSTHROUGH.output);
  return builder.build();
}

/**
 * How many words the app's `counts` store has counted so far (an interactive query over ~10 k words: ~1 ms).
 *
 * @example
 * ```ts
 * if (countedWords(streams) >= totalWords) await streams.close();
 * ```
 */
export function countedWords(streams: KafkaStreams): number {
  let sum = 0;
  for (const n of readCountStore(streams, WORDCOUNT.store).values()) sum += Number(n);
  return sum;
}

function peakRss(): number {
  const m = /^VmHWM:\s+(\d+) kB/m.exec(fs.readFileSync('/proc/self/status', 'utf8'));
  return m === null ? process.memoryUsage().rss : Number(m[1]) * 1024;
}

async function main(): Promise<void> {
  const [mode, port, stateDir, arg4, arg5] = process.argv.slice(2);
  if ((mode !== 'wordcount' && mode !== 'passthrough') || port === undefined || stateDir === undefined || arg4 === undefined) {
    throw new Error('usage: network-app.ts wordcount PORT STATE_DIR TOTAL_WORDS [COMMIT_MS] | passthrough PORT STATE_DIR COMMIT_MS');
  }
  const isWordCount = mode === 'wordcount';
  const commitMs = isWordCount ? (arg5 === undefined ? undefined : Number(arg5)) : Number(arg4);
  const streams = new KafkaStreams(isWordCount ? wordCountTopology() : passthroughTopology(), {
    applicationId: isWordCount ? WORDCOUNT.applicationId : PASSTHROUGH.applicationId,
    broker: `127.0.0.1:${port}`,
    stateDir,
    defaultKeySerde: isWordCount ? Serdes.String() : Serdes.ByteArray(),
    defaultValueSerde: isWordCount ? Serdes.String() : Serdes.ByteArray(),
    ...(commitMs === undefined ? {} : { commitIntervalMs: commitMs }),
    ...(isWordCount ? {} : { pollMs: 5 }),
    logger: silentLogger(),
  });
  let closing: Promise<void> | null = null;
  let cpu0 = process.cpuUsage();
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await streams.close();
      if (streams.error !== null) throw streams.error;
      const d = process.cpuUsage(cpu0);
      const stats: AppStats = { peakRssBytes: peakRss(), cpuS: (d.user + d.system) / 1e6 };
      process.stdout.write(`closed ${JSON.stringify(stats)}\n`);
    })());
  process.on('SIGTERM', () => {
    close().then(
      () => process.exit(0),
      (e: unknown) => {
        process.stderr.write(`network-app: close failed: ${String(e)}\n`);
        process.exit(1);
      },
    );
  });
  await streams.start();
  await waitFor(mode, streams, () => streams.state === 'RUNNING', 120_000);
  cpu0 = process.cpuUsage();
  process.stdout.write('ready\n');
  if (!isWordCount) return;
  const totalWords = Number(arg4);
  await waitFor(mode, streams, () => countedWords(streams) >= totalWords, 600_000, 50);
  process.stdout.write('processed\n');
  await close();
  process.exit(0);
}

// Runs only as a process's entry point: the benchmark imports this module for its topologies and topic names.
if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e: unknown) => {
    process.stderr.write(`network-app failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  });
}
