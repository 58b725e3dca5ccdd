/**
 * The process the exactly-once crash harness kills with SIGKILL. It opens the broker on DIR/log (recovering it after
 * the previous kill), runs the workload's application with the given guarantee (state in DIR/state) and takes
 * commands on stdin, one per line:
 *
 *   produce <b>   produce input batch b (lines and clicks), then print `acked <b>`
 *   crash-a       (with 2 instances) instance A dies as a killed process would (no commit, no leave, its transaction
 *                 left open) and a new instance A takes its place on a fresh state directory; prints `crashed-a`
 *   drain         wait until the group committed every input offset, close cleanly, print `drained`, exit 0
 *
 * It prints `ready` once the application runs. Output on stdout is line-based; a kill may cut the last line.
 *
 * With INSTANCES 2, two instances of the application share the work in this process (A and B).
 *
 *   node --import tsx test/crash/eos-child.ts DIR GUARANTEE SEED [INSTANCES]
 */
import * as path from 'node:path';
import * as readline from 'node:readline';
import { Broker } from '../../src/broker/broker.js';
import { inProcessClients, type Clients } from '../../src/client/in-process/in-process-clients.js';
import { silentLogger } from '../../src/util/logger.js';
import { KafkaStreams } from '../../runtime/kafka-streams.js';
import type { ProcessingGuarantee } from '../../runtime/streams-config.js';
import { APPLICATION_ID, CLICKS, COUNTS, LINES, PARTITIONS, S, WINDOW_FINALS, batch, topology } from './eos-workload.js';

const [dir, guarantee, seedArg, instancesArg] = process.argv.slice(2);
const instances = Number(instancesArg ?? '1');
if (dir === undefined || (guarantee !== 'at_least_once' && guarantee !== 'exactly_once_v2') || seedArg === undefined) {
  process.stderr.write('usage: eos-child.ts DIR at_least_once|exactly_once_v2 SEED\n');
  process.exit(2);
}
const seed = Number(seedArg);

async function ensureTopics(clients: Clients): Promise<void> {
  const existing = new Set(await clients.admin.listTopics());
  for (const topic of [LINES, CLICKS, COUNTS, WINDOW_FINALS]) {
    if (!existing.has(topic)) await clients.admin.createTopics([{ topic, numPartitions: PARTITIONS }]);
  }
}

async function committedAll(clients: Clients): Promise<boolean> {
  const tps = [LINES, CLICKS].flatMap((topic) => Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
  const ends = await clients.admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })));
  const group = clients.consumer({ groupId: APPLICATION_ID });
  try {
    const committed = await group.committed(tps);
    return ends.every((e, i) => (committed[i]?.offset ?? 0) >= e.offset);
  } finally {
    await group.close();
  }
}

// Timed-out transactions (a crashed instance's) are looked for every second rather than every 10 s.
const broker = await Broker.open({ dataDir: path.join(dir, 'log'), logger: silentLogger(), groupMinSessionTimeoutMs: 100, transactionAbortTimedOutIntervalMs: 1_000 });
const clients = inProcessClients(broker);
await ensureTopics(clients);
function instance(stateDir: string): KafkaStreams {
  return new KafkaStreams(topology(), {
    applicationId: APPLICATION_ID,
    broker,
    stateDir: path.join(dir!, stateDir),
    processingGuarantee: guarantee as ProcessingGuarantee,
    commitIntervalMs: 100,
    pollMs: 20,
    sessionTimeoutMs: 1_000,
    heartbeatIntervalMs: 100,
    logger: silentLogger(),
  });
}
let generation = 0;
let streams = instance(instances === 2 ? `state-a-${generation}` : 'state');
const others = instances === 2 ? [instance('state-b')] : [];
await Promise.all([streams.start(), ...others.map((o) => o.start())]);
const producer = clients.producer();
process.stdout.write('ready\n');

const input = readline.createInterface({ input: process.stdin });
for await (const line of input) {
  const [cmd, arg] = line.trim().split(' ');
  if (cmd === 'produce') {
    const b = Number(arg);
    const { lines, clicks } = batch(seed, b);
    await producer.send({ topic: LINES, messages: lines.map(([k, v]) => ({ key: S.serialize(LINES, k), value: S.serialize(LINES, v) })) });
    await producer.send({
      topic: CLICKS,
      messages: clicks.map(([user, ts]) => ({ key: S.serialize(CLICKS, user), value: S.serialize(CLICKS, 'click'), timestampMs: ts })),
    });
    process.stdout.write(`acked ${b}\n`);
  } else if (cmd === 'crash-a' && instances === 2) {
    streams.simulateCrash();
    streams = instance(`state-a-${++generation}`);
    await streams.start();
    process.stdout.write('crashed-a\n');
  } else if (cmd === 'drain') {
    while (!(await committedAll(clients))) {
      for (const s of [streams, ...others]) if (s.state === 'ERROR') throw s.error ?? new Error('the application failed');
      await new Promise((r) => setTimeout(r, 20));
    }
    await producer.close();
    await Promise.all([streams.close(), ...others.map((o) => o.close())]);
    await broker.close();
    process.stdout.write('drained\n');
    process.exit(0);
  }
}
