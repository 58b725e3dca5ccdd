/**
 * One instance of the crash workload's application as its own OS process, reaching the broker over the Kafka
 * protocol (`broker: '127.0.0.1:PORT'`). Prints `ready` once started; on SIGTERM closes cleanly and exits 0; exits 1
 * when the application goes to ERROR (a supervisor, here the harness, restarts it).
 *
 *   node --import tsx test/crash/network-app-child.ts STATE_DIR GUARANTEE PORT
 */
import { silentLogger } from '../../src/util/logger.js';
import { KafkaStreams } from '../../runtime/kafka-streams.js';
import type { ProcessingGuarantee } from '../../runtime/streams-config.js';
import { APPLICATION_ID, topology } from './eos-workload.js';

const [stateDir, guarantee, port] = process.argv.slice(2);
if (stateDir === undefined || (guarantee !== 'at_least_once' && guarantee !== 'exactly_once_v2') || port === undefined) {
  process.stderr.write('usage: network-app-child.ts STATE_DIR at_least_once|exactly_once_v2 PORT\n');
  process.exit(2);
}

const streams = new KafkaStreams(topology(), {
  applicationId: APPLICATION_ID,
  broker: `127.0.0.1:${port}`,
  stateDir,
  processingGuarantee: guarantee as ProcessingGuarantee,
  commitIntervalMs: 100,
  pollMs: 20,
  sessionTimeoutMs: 1_500,
  heartbeatIntervalMs: 100,
  logger: silentLogger(),
});
streams.setStateListener((next) => {
  if (next === 'ERROR') {
    process.stderr.write(`application failed: ${streams.error?.message ?? 'unknown error'}\n`);
    process.exit(1);
  }
});
process.on('SIGTERM', () => {
  void streams.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
await streams.start();
process.stdout.write('ready\n');
