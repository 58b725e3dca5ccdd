/**
 * `tributary describe` end to end: the child prints the module's topology exactly as Topology.describe() gives it
 * (Kafka Streams' text), and with --mermaid the Mermaid flowchart after it.
 */
import { describe, expect, it } from 'vitest';
import { toMermaid } from '../../src/topology/topology-mermaid.js';
import { buildTopology } from './fixtures/word-count-app.js';
import { runCli } from './cli-harness.js';

describe('tributary describe', () => {
  it('prints the Kafka Streams describe() text of the module, and the Mermaid picture with --mermaid', async () => {
    const description = buildTopology().describe();
    const [plain, mermaid, missing] = await Promise.all([
      runCli(['describe', 'test/cli/fixtures/word-count-app.ts']),
      runCli(['describe', 'test/cli/fixtures/word-count-app.ts', '--mermaid']),
      runCli(['describe', 'test/cli/fixtures/no-such-app.ts']),
    ]);
    expect(plain).toMatchObject({ code: 0, stdout: description.toString() });
    expect(plain.stdout).toContain('Sub-topology: 1\n    Source: counts-repartition-source (topics: [counts-repartition])');
    expect(mermaid.code).toBe(0);
    expect(mermaid.stdout).toBe(`${description.toString()}${toMermaid(description)}${toMermaid(description).endsWith('\n') ? '' : '\n'}`);
    expect(mermaid.stdout).toContain('flowchart TD');
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain('INVALID_CONFIG: application module test/cli/fixtures/no-such-app.ts not found');
  });
});
