import { afterAll, beforeAll } from 'vitest';
import type { Broker, BrokerOptions } from '../../src/broker/broker.js';
import { startInteropBroker, type InteropBroker } from './interop-broker.js';
import { kcatArgs, kcatMissingError } from './kcat.js';

/**
 * The interop broker of a kcat test file, from {@link useKcatTestBroker}: its broker and bootstrap address once
 * `beforeAll` has run, and `kcat(...args)`, the kcat arguments against it (throwing when kcat is missing).
 *
 * @example
 * ```ts
 * const ib = useKcatTestBroker();
 * it('lists metadata', async () => { await runKcatOk(ib.kcat('-L')); });
 * ```
 */
export interface KcatTestBroker {
  readonly broker: Broker;
  readonly bootstrap: string;
  readonly kcat: (...args: string[]) => string[];
}

/**
 * Sets up a kcat test file: `beforeAll` checks for kcat ({@link kcatMissingError}) and starts an interop broker,
 * `afterAll` closes it. Call it at the top of the file.
 *
 * @example
 * ```ts
 * const ib = useKcatTestBroker();
 * const kcat = ib.kcat;
 * it('produces', async () => {
 *   ib.broker.createTopic('lines', 3);
 *   await runKcatOk(kcat('-P', '-t', 'lines'), { stdin: 'a\n' });
 * });
 * ```
 */
export function useKcatTestBroker(options: Partial<BrokerOptions> = {}): KcatTestBroker {
  let ib: InteropBroker | undefined;
  let missing: Error | null = null;
  beforeAll(async () => {
    missing = kcatMissingError();
    ib = await startInteropBroker(options);
  });
  afterAll(async () => {
    await ib?.close();
  });
  const started = (): InteropBroker => {
    if (ib === undefined) throw new Error('the interop broker starts in beforeAll');
    return ib;
  };
  return {
    get broker() {
      return started().broker;
    },
    get bootstrap() {
      return started().bootstrap;
    },
    kcat: (...args) => {
      if (missing !== null) throw missing;
      return kcatArgs(started().bootstrap, ...args);
    },
  };
}
