import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { Writable } from 'node:stream';
import { pino } from 'pino';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Broker } from '../src/broker/broker.js';
import { inProcessClients } from '../src/client/in-process/in-process-clients.js';
import type { Processor } from '../src/processor/processor.js';
import type { ProcessorContext } from '../src/processor/processor-context.js';
import type { Record as StreamRecord } from '../src/processor/record.js';
import type { Metric } from '../src/processor/streams-metrics.js';
import { Serdes } from '../src/serdes/serdes.js';
import { Topology } from '../src/topology/topology.js';
import { silentLogger } from '../src/util/logger.js';
import { parsePrometheusText, sumOf, type PrometheusFamily } from '../test/helpers/prometheus-text.js';
import { splitWords, waitUntil, wordCountTopology } from '../test/helpers/word-count-topology.js';
import { KafkaStreams } from './kafka-streams.js';
import { toPrometheusText } from './metrics/prometheus.js';
import type { StreamsConfig } from './streams-config.js';

const S = Serdes.String();
const root = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-streams-metrics-test-'));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

let broker: Broker;
let dirCount = 0;
const instances: KafkaStreams[] = [];

beforeEach(async () => {
  broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupMinSessionTimeoutMs: 100, groupInitialRebalanceDelayMs: 0 });
});
afterEach(async () => {
  for (const s of instances.splice(0)) await s.close({ timeoutMs: 5_000 });
  await broker.close();
});

function streamsFor(topology: Topology, config: Partial<StreamsConfig> = {}): KafkaStreams {
  const s = new KafkaStreams(topology, {
    applicationId: 'app',
    broker,
    stateDir: path.join(root, `state-${++dirCount}`),
    commitIntervalMs: 50,
    pollMs: 20,
    sessionTimeoutMs: 1_000,
    heartbeatIntervalMs: 100,
    logger: silentLogger(),
    ...config,
  });
  instances.push(s);
  return s;
}

async function produceLines(lines: readonly string[]): Promise<void> {
  const p = inProcessClients(broker).producer();
  await p.send({ topic: 'lines', messages: lines.map((l, i) => ({ key: S.serialize('lines', `k${i}`), value: S.serialize('lines', l) })) });
  await p.close();
}

const LINES = Array.from({ length: 60 }, (_, i) => `w${i % 7} w${i % 11} w${i % 3} shared`);
const WORDS = LINES.flatMap(splitWords).length;
const DISTINCT = new Set(LINES.flatMap(splitWords)).size;

function scrape(streams: KafkaStreams): Map<string, PrometheusFamily> {
  return parsePrometheusText(toPrometheusText(streams.metrics()));
}

describe('KafkaStreams metrics', () => {
  it('the Prometheus text parses strictly and its counters match what was processed', async () => {
    broker.createTopic('lines', 2);
    await produceLines(LINES);
    const s = streamsFor(wordCountTopology());
    await s.start();
    // Everything processed, flushed (the thread's producer sent repartition, output and changelog records: one each
    // per word) and committed, and the consumer's last fetches saw the ends of all four input partitions.
    await waitUntil(() => {
      const f = scrape(s);
      return (
        sumOf(f, 'tributary_stream_task_metrics_process_total', { task_id: /^1_/ }) === WORDS &&
        sumOf(f, 'tributary_stream_thread_metrics_records_produced_total') === 3 * WORDS &&
        (f.get('tributary_consumer_fetch_manager_metrics_records_lag')?.samples.length ?? 0) === 4 &&
        sumOf(f, 'tributary_consumer_fetch_manager_metrics_records_lag') === 0 &&
        sumOf(f, 'tributary_stream_thread_metrics_commit_total') > 0
      );
    }, 'everything processed, sent, committed and fetched');
    const f = scrape(s);
    const total = (name: string, match: Readonly<Record<string, string | RegExp>> = {}): number => sumOf(f, `tributary_${name}`, match);
    expect(total('stream_task_metrics_process_total', { task_id: /^0_/ })).toBe(LINES.length);
    expect(total('stream_thread_metrics_process_total')).toBe(LINES.length + WORDS);
    expect(total('stream_thread_metrics_records_consumed_total')).toBe(LINES.length + WORDS);
    expect(total('stream_topic_metrics_records_consumed_total', { topic: 'lines' })).toBe(LINES.length);
    expect(total('stream_topic_metrics_records_produced_total', { topic: 'wc-words-repartition' })).toBe(WORDS);
    expect(total('stream_processor_node_metrics_process_total', { processor_node_id: 'Count' })).toBe(WORDS);
    expect(total('stream_state_metrics_put_total', { in_memory_state_id: 'counts' })).toBe(WORDS);
    expect(total('stream_state_metrics_estimated_num_keys', { in_memory_state_id: 'counts' })).toBe(DISTINCT);
    expect(f.get('tributary_consumer_fetch_manager_metrics_records_lag')!.samples.map((x) => `${x.labels['topic']}-${x.labels['partition']}`).sort()).toEqual([
      'lines-0',
      'lines-1',
      'wc-words-repartition-0',
      'wc-words-repartition-1',
    ]);
    expect(total('stream_metrics_state')).toBe(2); // RUNNING
    expect(total('stream_metrics_alive_stream_threads')).toBe(1);
    expect(total('stream_metrics_rebalances_total')).toBeGreaterThanOrEqual(1);
    expect(total('stream_thread_metrics_task_created_total')).toBe(4);
    expect(total('stream_thread_metrics_poll_total')).toBeGreaterThan(0);
    expect(total('stream_thread_metrics_process_rate')).toBeGreaterThan(0);
    expect(total('stream_thread_metrics_commit_latency_max')).toBeGreaterThanOrEqual(total('stream_thread_metrics_commit_latency_avg'));
    expect(f.get('tributary_stream_thread_metrics_process_total')!.type).toBe('counter');
    expect(f.get('tributary_stream_thread_metrics_process_rate')!.type).toBe('gauge');
    await s.close();
    const after = scrape(s);
    expect(sumOf(after, 'tributary_stream_metrics_state')).toBe(4); // NOT_RUNNING
    expect(sumOf(after, 'tributary_stream_thread_metrics_task_closed_total')).toBe(4);
    expect(after.has('tributary_stream_task_metrics_process_total')).toBe(false); // closed tasks' metrics are gone
  });

  it('counts restoration: restore-records-total equals the changelog records read, nothing remains once RUNNING', async () => {
    broker.createTopic('lines', 2);
    await produceLines(LINES);
    const first = streamsFor(wordCountTopology());
    await first.start();
    await waitUntil(() => sumOf(scrape(first), 'tributary_stream_state_metrics_put_total') === WORDS, 'first run counted');
    await first.close();
    const ends = await inProcessClients(broker).admin.listOffsets([0, 1].map((partition) => ({ topic: 'app-counts-changelog', partition, spec: 'latest' as const })));
    const changelogRecords = ends.reduce((n, e) => n + e.offset, 0);
    expect(changelogRecords).toBe(WORDS);
    // In-memory stores restore from the changelog's start.
    const second = streamsFor(wordCountTopology());
    await second.start();
    await waitUntil(() => second.state === 'RUNNING' && sumOf(scrape(second), 'tributary_stream_metrics_restore_records_total') === changelogRecords, 'restored');
    const f = scrape(second);
    expect(sumOf(f, 'tributary_stream_metrics_restore_remaining_records')).toBe(0);
    expect(sumOf(f, 'tributary_stream_task_metrics_restore_total')).toBe(changelogRecords);
    expect(sumOf(f, 'tributary_stream_task_metrics_restore_remaining_records')).toBe(0);
    expect(sumOf(f, 'tributary_stream_state_metrics_estimated_num_keys')).toBe(DISTINCT);
  });

  it('metrics$ emits shared snapshots every metricsIntervalMs and completes at NOT_RUNNING', async () => {
    broker.createTopic('lines', 1);
    const s = streamsFor(wordCountTopology(), { metricsIntervalMs: 20 });
    const a: Metric[][] = [];
    const b: Metric[][] = [];
    let completed = 0;
    s.metrics$.subscribe({ next: (m) => a.push(m), complete: () => completed++ });
    s.metrics$.subscribe({ next: (m) => b.push(m), complete: () => completed++ });
    await s.start();
    await produceLines(['x y']);
    await waitUntil(() => a.some((m) => m.some((x) => x.group === 'stream-task-metrics' && x.name === 'process-total' && x.value === 2)), 'a snapshot with the words counted');
    expect(b.length).toBeGreaterThan(0);
    expect(b[b.length - 1]).toBe(a[a.length - 1]); // the same snapshot, shared
    await s.close();
    expect(completed).toBe(2);
    const n = a.length;
    await new Promise((r) => setTimeout(r, 60));
    expect(a.length).toBe(n);
    let lateCompleted = false;
    s.metrics$.subscribe({ complete: () => (lateCompleted = true) });
    expect(lateCompleted).toBe(true);
  });
});

class LoggingProcessor implements Processor<string, string, string, string> {
  #context!: ProcessorContext<string, string>;
  init(context: ProcessorContext<string, string>): void {
    this.#context = context;
  }
  process(record: StreamRecord<string, string>): void {
    this.#context.logger.info({ key: record.key }, 'seen');
  }
}

describe('KafkaStreams logs', () => {
  it('a task logs with applicationId, threadId, taskId and partition; logLevel makes the instance more verbose', async () => {
    broker.createTopic('in', 2);
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, done) {
        for (const l of chunk.toString('utf8').split('\n')) if (l !== '') lines.push(JSON.parse(l) as Record<string, unknown>);
        done();
      },
    });
    const topology = new Topology().addSource('src', ['in'], { keySerde: S, valueSerde: S }).addProcessor('log', () => new LoggingProcessor(), 'src');
    // The injected logger is at warn; the instance's logLevel says info.
    const s = streamsFor(topology, { logger: pino({ level: 'warn' }, sink), logLevel: 'info' });
    await s.start();
    const p = inProcessClients(broker).producer();
    await p.send({ topic: 'in', messages: [{ key: S.serialize('in', 'k'), value: S.serialize('in', 'v'), partition: 1 }] });
    await p.close();
    await waitUntil(() => lines.some((l) => l['msg'] === 'seen'), 'the processor logged');
    expect(lines.find((l) => l['msg'] === 'seen')).toMatchObject({ applicationId: 'app', threadId: 'app-StreamThread-1', taskId: '0_1', partition: 1, key: 'k' });
    expect(lines.some((l) => l['msg'] === 'state transition')).toBe(true); // info, below the injected logger's level
  });

  it('an unknown logLevel is INVALID_CONFIG', () => {
    expect(() => new KafkaStreams(new Topology().addSource('s', ['in']), { applicationId: 'app', logLevel: 'loud' as 'info' })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIG' }) as Error,
    );
  });
});
