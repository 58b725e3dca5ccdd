/**
 * The crash harness across processes: the broker runs as `tributary broker` in its own process, the application as
 * 2-3 more processes (test/crash/network-app-child.ts) reaching it over the Kafka protocol, and this process produces
 * the input over the network too. At seeded random moments one application process, or the broker process itself,
 * is killed with SIGKILL and started again (same state directory, same port); the others run on and must take over
 * its tasks or reconnect. At the end every process is stopped with SIGTERM (each must exit 0) and the log is checked
 * as in the single-process harness (eos-harness.ts `check`): nothing acknowledged lost, under exactly_once_v2 nothing
 * counted twice, and each application process held tasks of its own.
 */
import * as net from 'node:net';
import * as path from 'node:path';
import { ApiKey } from '../../src/protocol/api-keys.js';
import { KafkaCluster } from '../../src/client/kafka/cluster.js';
import { kafkaClients } from '../../src/client/kafka/kafka-clients.js';
import { decodeAssignment } from '../../src/client/consumer-protocol.js';
import type { ProcessingGuarantee } from '../../runtime/streams-config.js';
import { randomInts } from '../helpers/word-count-topology.js';
import { check, type CrashSummary } from './eos-harness.js';
import { APPLICATION_ID, CLICKS, COUNTS, LINES, PARTITIONS, S, WINDOW_FINALS, batch } from './eos-workload.js';
import { LineProcess, ROOT } from './line-process.js';

const CLI = path.join(ROOT, 'bin', 'tributary.js');
const APP = path.join(ROOT, 'test', 'crash', 'network-app-child.ts');

/** What a run across processes did and found. */
export interface NetworkCrashSummary extends CrashSummary {
  readonly appKills: number;
  readonly brokerKills: number;
  /** Input partitions held by each application process once all had joined (before the first kill). */
  readonly partitionsPerProcess: readonly number[];
  /** App processes that exited on their own (went to ERROR) and were restarted, as a supervisor would. */
  readonly unplannedRestarts: number;
  /** Exit codes of the final SIGTERM stops: the apps', then the broker's. */
  readonly exitCodes: readonly (number | null)[];
}

/** One line for logs. */
export function networkSummaryLine(s: NetworkCrashSummary): string {
  return `[network ${s.guarantee} seed ${s.seed}] processes ${s.partitionsPerProcess.length} holding partitions ${s.partitionsPerProcess.join('/')}, app kills ${s.appKills}, broker kills ${s.brokerKills}, unplanned app restarts ${s.unplannedRestarts}, batches acked ${s.batchesAcked}, records in ${s.recordsIn}, results checked ${s.resultsChecked}, lost ${s.lost}, duplicated ${s.duplicated}, exit codes ${s.exitCodes.join(',')}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

async function startBroker(dir: string, port: number): Promise<LineProcess> {
  const p = new LineProcess('process', [
    CLI,
    'broker',
    '--data-dir',
    path.join(dir, 'log'),
    '--port',
    String(port),
    '--group-min-session-timeout-ms',
    '100',
    '--group-initial-rebalance-delay-ms',
    '0',
    '--transaction-abort-timed-out-interval-ms',
    '1000',
    '--log-level',
    'warn',
  ]);
  await p.waitFor('tributary broker listening', 60_000);
  return p;
}

async function startApp(dir: string, name: string, guarantee: ProcessingGuarantee, port: number): Promise<LineProcess> {
  const p = new LineProcess('process', ['--import', 'tsx', APP, path.join(dir, `state-${name}`), guarantee, String(port)]);
  await p.waitFor('ready', 90_000);
  return p;
}

/** Input partitions per member of the application's group once `members` members are in a stable generation. */
async function partitionsPerMember(port: number, members: number, timeoutMs: number): Promise<number[]> {
  const cluster = new KafkaCluster({ bootstrapServers: [`127.0.0.1:${port}`], clientId: 'harness' });
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const coordinator = await cluster.findCoordinator('group', APPLICATION_ID);
      const { body } = await cluster.send(coordinator, ApiKey.DescribeGroups, { groups: [APPLICATION_ID], includeAuthorizedOperations: false });
      const group = body.groups[0];
      if (group !== undefined && group.groupState === 'Stable' && group.members.length === members) {
        return group.members.map((m) => decodeAssignment(m.memberAssignment).assignedPartitions.filter((tp) => tp.topic === LINES || tp.topic === CLICKS).length);
      }
      if (Date.now() > deadline) throw new Error(`the group did not settle with ${members} members within ${timeoutMs} ms (state ${group?.groupState}, ${group?.members.length} members)`);
      await sleep(200);
    }
  } finally {
    await cluster.close();
  }
}

/**
 * Runs the harness across processes.
 *
 * @example
 * ```ts
 * const s = await runNetworkCrashHarness({ dir, guarantee: 'exactly_once_v2', instances: 3, appKills: 3, brokerKills: 1, batches: 24, seed: 5 });
 * ```
 */
export async function runNetworkCrashHarness(options: {
  dir: string;
  guarantee: ProcessingGuarantee;
  instances: 2 | 3;
  appKills: number;
  brokerKills: number;
  batches: number;
  seed: number;
}): Promise<NetworkCrashSummary> {
  const { dir, guarantee, instances, appKills, brokerKills, batches, seed } = options;
  const next = randomInts(seed);
  const port = await freePort();
  let broker = await startBroker(dir, port);
  const clients = kafkaClients({ bootstrapServers: [`127.0.0.1:${port}`], clientId: 'harness-producer', retries: 40, retryBackoffMs: 50, maxRetryBackoffMs: 500 });
  const names = Array.from({ length: instances }, (_, i) => String.fromCharCode(97 + i));
  const apps: LineProcess[] = [];
  const acked = new Set<number>();
  let nextBatch = 0;
  try {
    await clients.admin.createTopics([LINES, CLICKS, COUNTS, WINDOW_FINALS].map((topic) => ({ topic, numPartitions: PARTITIONS })));
    for (const name of names) apps.push(await startApp(dir, name, guarantee, port));
    const partitionsPerProcess = await partitionsPerMember(port, instances, 60_000);
    const producer = clients.producer();
    const produce = async (b: number): Promise<void> => {
      const { lines, clicks } = batch(seed, b);
      try {
        await producer.send({ topic: LINES, messages: lines.map(([k, v]) => ({ key: S.serialize(LINES, k), value: S.serialize(LINES, v) })) });
        await producer.send({
          topic: CLICKS,
          messages: clicks.map(([user, ts]) => ({ key: S.serialize(CLICKS, user), value: S.serialize(CLICKS, 'click'), timestampMs: ts })),
        });
        acked.add(b);
      } catch {
        // Not acknowledged (the broker was down): it may or may not be in the log; the check reads the log.
      }
    };
    let unplannedRestarts = 0;
    const restartDeadApps = async (): Promise<void> => {
      for (let i = 0; i < apps.length; i++) {
        if (!apps[i]!.isExited) continue;
        unplannedRestarts++;
        apps[i] = await startApp(dir, names[i]!, guarantee, port);
      }
    };

    const events = [...Array<'app'>(appKills).fill('app'), ...Array<'broker'>(brokerKills).fill('broker')];
    for (let i = events.length - 1; i > 0; i--) {
      const j = next(i + 1);
      [events[i], events[j]] = [events[j]!, events[i]!];
    }
    const perRound = Math.max(1, Math.floor(batches / (events.length + 1)));
    for (const event of events) {
      const until = Math.min(batches, nextBatch + perRound);
      const killAfterMs = 100 + next(700);
      const started = Date.now();
      const inFlight: Promise<void>[] = [];
      while (Date.now() - started < killAfterMs) {
        if (nextBatch < until) inFlight.push(produce(nextBatch++));
        await sleep(5 + next(20));
      }
      if (event === 'app') {
        const i = next(apps.length);
        await apps[i]!.kill('SIGKILL');
        await Promise.all(inFlight);
        apps[i] = await startApp(dir, names[i]!, guarantee, port);
      } else {
        await broker.kill('SIGKILL');
        await sleep(next(300));
        broker = await startBroker(dir, port);
        await Promise.all(inFlight);
      }
      await restartDeadApps();
    }
    while (nextBatch < batches) await produce(nextBatch++);
    // Drain: wait until the group committed every input offset (dead apps restarted meanwhile).
    const tps = [LINES, CLICKS].flatMap((topic) => Array.from({ length: PARTITIONS }, (_, partition) => ({ topic, partition })));
    const group = clients.consumer({ groupId: APPLICATION_ID });
    const deadline = Date.now() + 180_000;
    for (;;) {
      const ends = await clients.admin.listOffsets(tps.map((tp) => ({ ...tp, spec: 'latest' as const })));
      const committed = await group.committed(tps);
      if (ends.every((e, i) => (committed[i]?.offset ?? 0) >= e.offset)) break;
      if (Date.now() > deadline) throw new Error(`the application did not commit all input within 180 s; app stderr:\n${apps.map((a) => a.stderr).join('\n---\n')}`);
      await restartDeadApps();
      await sleep(100);
    }
    await group.close();
    await producer.close();
    const exitCodes = await Promise.all(apps.map((a) => a.kill('SIGTERM')));
    await clients.close();
    exitCodes.push(await broker.kill('SIGTERM'));
    const found = await check(dir, guarantee, seed, appKills + brokerKills, acked);
    return { ...found, instanceCrashes: 0, appKills, brokerKills, partitionsPerProcess, unplannedRestarts, exitCodes };
  } finally {
    for (const a of apps) await a.kill('SIGKILL');
    await broker.kill('SIGKILL');
    await clients.close().catch(() => undefined);
  }
}
