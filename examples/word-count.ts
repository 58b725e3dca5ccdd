/**
 * Word count with the DSL on the embedded broker, with zero set-up: `npm start`, or
 *
 *   npm run wordcount -- [--input FILE] [--data-dir DIR] [--partitions N] [--broker HOST:PORT]
 *
 * 1. Opens the included broker under DIR/log (default: a fresh temporary folder, kept and named on stderr so a later
 *    run can continue from it with `--data-dir`).
 * 2. Produces FILE's lines (or a built-in sample text) into `text-lines` (N partitions, default 4; null keys, so they
 *    are spread round-robin, as a console producer would).
 * 3. Runs the topology below with KafkaStreams (application id `word-count`, state under DIR/state) until the group's
 *    committed offsets of `text-lines` and of the repartition topic reach their end offsets: then every line has been
 *    counted and every count is in the store, its changelog and `word-counts`.
 * 4. Prints the store's complete contents (interactive query), checked against the last value per key of
 *    `word-counts`, as `word<TAB>count` lines sorted by word in byte order (as `LC_ALL=C sort`; words are ASCII, so
 *    byte order and JavaScript's string order agree).
 *
 * A second run with the same DIR produces only the new file's lines; the store is restored and the committed offsets
 * skip what was counted before, so the table covers every file counted so far.
 *
 * The counts equal `tr -cs 'A-Za-z0-9_' '\n' < FILE | tr A-Z a-z | sort | uniq -c`: `\W` is exactly tr's separator
 * class. The line is split before it is lowercased, because lowercasing first is not byte-neutral: `'İ'` (U+0130)
 * lowercases to `'i̇'` and the Kelvin sign `'K'` (U+212A) to an ASCII `'k'`, which tr (working on bytes) never sees.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { parseArgs } from 'node:util';
import {
  Broker,
  KafkaStreams,
  Materialized,
  QueryableStoreTypes,
  Serdes,
  StreamsBuilder,
  inProcessClients,
  kafkaClients,
  silentLogger,
  type Clients,
  type ProducerRecord,
  type TopicPartition,
  type Topology,
} from '../src/index.js';
import { Failure, fail, runMain, sleep } from './lib/cli.js';
import { readToEnd } from './lib/read-to-end.js';

const APPLICATION_ID = 'word-count';
const INPUT = 'text-lines';
const OUTPUT = 'word-counts';
const STORE = 'counts';
/** Kafka Streams names the repartition topic of `groupBy(...).count(Materialized.as('counts'))` after the store. */
const REPARTITION = `${APPLICATION_ID}-${STORE}-repartition`;
const PRODUCE_BATCH = 1000;
const WAIT_STEP_MS = 20;

const USAGE = `usage: npm run wordcount -- [--input FILE] [--data-dir DIR] [--partitions N] [--broker HOST:PORT]
       npm run wordcount -- --describe      (print the topology's describe() and exit)

  --broker HOST:PORT   run over a network broker (npx tributary broker --data-dir DIR, or Apache Kafka)
                       instead of the embedded one; --data-dir then only holds the app's state
`;

const SAMPLE = `All streams flow to the sea,
yet the sea is not full;
to the place the streams flow from,
there they flow again.

A tributary joins the stream; the stream joins the river;
the river, at last, reaches the sea.
`;

interface Options {
  readonly input: string | undefined;
  readonly dataDir: string | undefined;
  readonly broker: string | undefined;
  readonly partitions: number | undefined;
  readonly help: boolean;
  readonly describe: boolean;
}

function options(argv: readonly string[]): Options {
  try {
    const { values } = parseArgs({
      args: [...argv],
      options: {
        input: { type: 'string' },
        'data-dir': { type: 'string' },
        broker: { type: 'string' },
        partitions: { type: 'string' },
        describe: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    });
    const p = values.partitions;
    if (p !== undefined && !/^[1-9][0-9]{0,3}$/.test(p)) fail(`--partitions must be a whole number from 1 to 9999, got ${JSON.stringify(p)}`, 2);
    return {
      input: values.input,
      dataDir: values['data-dir'],
      broker: values.broker,
      partitions: p === undefined ? undefined : Number(p),
      help: values.help === true,
      describe: values.describe === true,
    };
  } catch (e: unknown) {
    if (e instanceof Failure) throw e;
    return fail(e instanceof Error ? e.message : String(e), 2);
  }
}

/** The lines of a text: split at LF (a CR before it stays and is a separator like any other); no line after a final LF. */
function linesOf(text: string): string[] {
  const lines = text.split('\n');
  if (lines.at(-1) === '') lines.pop();
  return lines;
}

/** The file as UTF-8; bytes that are not UTF-8 become U+FFFD, a separator like any other non-ASCII character. */
function readText(file: string): string {
  try {
    return fs.readFileSync(file, 'utf8');
  } catch (e: unknown) {
    return fail(`cannot read --input ${file}: ${e instanceof Error ? e.message : String(e)}`, 2);
  }
}

/** Creates `text-lines` (or checks its partition count) and `word-counts`; returns the partition count in use. */
async function prepareTopics(clients: Clients, requested: number | undefined, dataDir: string): Promise<number> {
  const { admin } = clients;
  const existing = new Set(await admin.listTopics());
  let partitions = requested ?? 4;
  if (existing.has(INPUT)) {
    const [described] = await admin.describeTopics([INPUT]);
    const n = described!.partitions.length;
    if (requested !== undefined && requested !== n) fail(`${INPUT} already has ${n} partitions in ${dataDir}; run with --partitions ${n} or another --data-dir`);
    partitions = n;
  } else {
    await admin.createTopics([{ topic: INPUT, numPartitions: partitions }]);
  }
  // The output as a table: compacted, so the latest count of every word is kept for ever.
  if (!existing.has(OUTPUT)) await admin.createTopics([{ topic: OUTPUT, numPartitions: partitions, configs: { 'cleanup.policy': 'compact' } }]);
  return partitions;
}

/** Produces the lines with null keys (spread round-robin over the partitions), in batches. */
async function produceLines(clients: Clients, lines: readonly string[]): Promise<void> {
  const strings = Serdes.String();
  const send = clients.producer();
  try {
    for (let i = 0; i < lines.length; i += PRODUCE_BATCH) {
      const messages: ProducerRecord[] = [];
      for (const line of lines.slice(i, i + PRODUCE_BATCH)) messages.push({ key: null, value: strings.serialize(INPUT, line) });
      await send.send({ topic: INPUT, messages });
    }
  } finally {
    await send.close();
  }
}

/** The word count, written with the DSL: the program this example is about. */
function wordCount(): Topology {
  const builder = new StreamsBuilder();
  builder
    .stream<string, string>(INPUT)
    .flatMapValues((line) => line.split(/\W+/).filter(Boolean).map((word) => word.toLowerCase()))
    .groupBy((_key, word) => word)
    .count(Materialized.as(STORE))
    .toStream()
    .to(OUTPUT);
  return builder.build();
}

/**
 * Waits until the group has committed every input offset, then every repartition offset. Input first: once it is
 * committed, every repartition record it caused is in the log (sent before the commit), so the ends read next are
 * final. A commit follows the flush of the store's cache, so by then the changelog and `word-counts` are written too.
 */
async function waitUntilCommitted(clients: Clients, streams: KafkaStreams, partitions: number): Promise<void> {
  const { admin } = clients;
  const [repartition] = await admin.describeTopics([REPARTITION]);
  const phases: TopicPartition[][] = [
    Array.from({ length: partitions }, (_, partition) => ({ topic: INPUT, partition })),
    repartition!.partitions.map((p) => ({ topic: REPARTITION, partition: p.partition })),
  ];
  // A consumer of the app's group that never subscribes: it only reads the group's committed offsets.
  const group = clients.consumer({ groupId: APPLICATION_ID });
  try {
    for (const tps of phases) {
      for (;;) {
        const ends = await admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })));
        const committed = await group.committed(tps);
        if (ends.every((end, i) => (committed[i]?.offset ?? 0) >= end.offset)) break;
        if (streams.state !== 'RUNNING' && streams.state !== 'REBALANCING') {
          fail(`the application stopped (${streams.state}): ${streams.error?.message ?? 'no error recorded'}`);
        }
        await sleep(WAIT_STEP_MS);
      }
    }
  } finally {
    await group.close();
  }
}

/** Every word and count in the store, through an interactive query (all tasks run in this process). */
function storeContents(streams: KafkaStreams): Map<string, number> {
  const counts = new Map<string, number>();
  const it = streams.store(STORE, QueryableStoreTypes.keyValueStore<string, number>()).all();
  try {
    for (let n = it.next(); !n.done; n = it.next()) counts.set(n.value.key, n.value.value);
  } finally {
    it.close();
  }
  return counts;
}

/** Reads a topic from its start to its current end and keeps the last value per key (counts are written as Longs). */
async function lastValuePerKey(clients: Clients, topic: string, partitions: number): Promise<Map<string, bigint>> {
  const strings = Serdes.String();
  const longs = Serdes.BigInt();
  const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
  const last = new Map<string, bigint>();
  await readToEnd(clients, tps, (r) => {
    const word = strings.deserialize(topic, r.key);
    if (word !== null) last.set(word, longs.deserialize(topic, r.value)!);
  });
  return last;
}

async function main(argv: readonly string[]): Promise<void> {
  const args = options(argv);
  if (args.help) {
    process.stdout.write(USAGE);
    return;
  }
  if (args.describe) {
    process.stdout.write(wordCount().describe().toString());
    return;
  }
  const text = args.input === undefined ? SAMPLE : readText(args.input);
  const dataDir = args.dataDir ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-word-count-'));
  process.stderr.write(`word-count: log and state in ${dataDir}${args.dataDir === undefined ? ' (kept: pass --data-dir to continue from it)' : ''}\n`);

  // With --broker the log is a network broker (`npx tributary broker`, or Apache Kafka); otherwise it is embedded.
  const remote = args.broker === undefined ? null : kafkaClients({ bootstrapServers: [args.broker], clientId: APPLICATION_ID });
  const broker = remote === null ? await Broker.open({ dataDir: path.join(dataDir, 'log'), logger: silentLogger() }) : null;
  let streams: KafkaStreams | null = null;
  try {
    const clients = remote ?? inProcessClients(broker!);
    const partitions = await prepareTopics(clients, args.partitions, dataDir);
    const lines = linesOf(text);
    await produceLines(clients, lines);
    process.stderr.write(`word-count: produced ${lines.length} lines into ${INPUT} (${partitions} partitions)\n`);

    streams = new KafkaStreams(wordCount(), {
      applicationId: APPLICATION_ID,
      broker: args.broker ?? broker!,
      stateDir: path.join(dataDir, 'state'),
      // Keys and values are strings unless an operation says otherwise (count() writes Longs).
      defaultKeySerde: Serdes.String(),
      defaultValueSerde: Serdes.String(),
      // Commit (and so flush the store's cache to its changelog and `word-counts`) often: this run waits for commits.
      commitIntervalMs: 100,
      logger: silentLogger(),
    });
    await streams.start();
    await waitUntilCommitted(clients, streams, partitions);

    const counts = storeContents(streams);
    const published = await lastValuePerKey(clients, OUTPUT, partitions);
    for (const [word, n] of counts) {
      if (published.get(word) !== BigInt(n)) fail(`the store and ${OUTPUT} disagree on ${JSON.stringify(word)}: ${n} vs ${String(published.get(word))}`);
    }
    if (published.size !== counts.size) fail(`${OUTPUT} holds ${published.size} words, the store ${counts.size}`);

    // Words are ASCII, so comparing UTF-16 code units is byte order (as `LC_ALL=C sort`).
    const words = [...counts.keys()].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    let out = '';
    for (const word of words) out += `${word}\t${counts.get(word)!}\n`;
    process.stdout.write(out);
  } finally {
    await streams?.close();
    await remote?.close();
    await broker?.close();
  }
}

await runMain('word-count', main);
