/**
 * Word count on the embedded broker, with zero set-up: `npm start`.
 *
 * Lines go into `text-lines`; a consumer group reads them, counts words, writes each updated count to the
 * compacted topic `word-counts` (keyed by word, so the latest count per word is what compaction keeps) and commits
 * its input offsets after the counts are written (at-least-once). Then the final counts are read back from
 * `word-counts`, as any downstream consumer would. This is the word count written against the client seam; the DSL
 * version (`builder.stream('text-lines').flatMapValues(...).groupBy(...).count()`) arrives with the DSL issue and
 * will replace the hand-written loop below.
 *
 * Set TRIBUTARY_DATA_DIR to keep the log between runs (a temporary directory is used otherwise).
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Broker, inProcessClients, Serdes, silentLogger } from '../src/index.js';

const LINES = [
  'all streams flow to the sea',
  'the sea is not full',
  'to the place the streams flow',
  'there they flow again',
  'a tributary joins the stream',
];

const dataDir = process.env['TRIBUTARY_DATA_DIR'] ?? fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-word-count-'));
const broker = await Broker.open({ dataDir, logger: silentLogger() });
const { admin, producer, consumer } = inProcessClients(broker);
const strings = Serdes.String();
const longs = Serdes.BigInt();

await admin.createTopics([
  { topic: 'text-lines', numPartitions: 3 },
  { topic: 'word-counts', numPartitions: 3, configs: { 'cleanup.policy': 'compact' } },
]);

// 1. Input: lines keyed by line number, spread over the partitions by the key's murmur2 hash.
const lines = producer();
await lines.send({
  topic: 'text-lines',
  messages: LINES.map((line, i) => ({ key: strings.serialize('text-lines', `line-${i}`), value: strings.serialize('text-lines', line) })),
});

// 2. The app: consume, count, produce counts, commit.
const input = consumer({ groupId: 'word-count', autoOffsetReset: 'earliest', heartbeatIntervalMs: 100 });
input.subscribe(['text-lines']);
const out = producer();
const counts = new Map<string, bigint>();
let seen = 0;
while (seen < LINES.length) {
  const polled = await input.poll({ maxWaitMs: 200 });
  const updates = new Map<string, bigint>();
  for (const batch of polled.batches) {
    for (const record of batch.records) {
      const line = strings.deserialize(batch.topic, record.value) ?? '';
      for (const word of line.toLowerCase().split(/\W+/).filter((w) => w.length > 0)) {
        const n = (counts.get(word) ?? 0n) + 1n;
        counts.set(word, n);
        updates.set(word, n);
      }
      seen++;
    }
  }
  if (updates.size > 0) {
    await out.send({
      topic: 'word-counts',
      messages: [...updates].map(([word, n]) => ({ key: strings.serialize('word-counts', word), value: longs.serialize('word-counts', n) })),
    });
    await input.commit();
  }
}
await input.close();

// 3. Downstream: read the counts topic from the beginning; the last value per word is its count.
const reader = consumer({ autoOffsetReset: 'earliest' });
reader.assign([0, 1, 2].map((partition) => ({ topic: 'word-counts', partition })));
const result = new Map<string, bigint>();
for (;;) {
  const polled = await reader.poll({ maxWaitMs: 50 });
  if (polled.count === 0) break;
  for (const batch of polled.batches) {
    for (const r of batch.records) result.set(strings.deserialize(batch.topic, r.key)!, longs.deserialize(batch.topic, r.value)!);
  }
}
await reader.close();

const rows = [...result].sort((a, b) => Number(b[1] - a[1]) || a[0].localeCompare(b[0]));
process.stdout.write(`word counts (${rows.length} words, log in ${dataDir}):\n`);
for (const [word, n] of rows) process.stdout.write(`  ${word.padEnd(10)} ${n}\n`);
await broker.close();
if (process.env['TRIBUTARY_DATA_DIR'] === undefined) fs.rmSync(dataDir, { recursive: true, force: true });
