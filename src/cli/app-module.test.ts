import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { StreamsBuilder } from '../../dsl/streams-builder.js';
import { describeAny, isTopology, loadAppModule } from './app-module.js';

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tributary-app-module-'));
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function moduleFile(name: string, source: string): string {
  const file = path.join(dir, name);
  fs.writeFileSync(file, source);
  return file;
}

const FIXTURE = path.resolve(import.meta.dirname, '../../test/cli/fixtures/word-count-app.ts');

describe('loadAppModule', () => {
  it('loads a module exporting buildTopology() and config, relative to a working directory', async () => {
    const app = await loadAppModule(path.relative(dir, FIXTURE), dir);
    expect(app.file).toBe(FIXTURE);
    expect(app.config.applicationId).toBe('cli-word-count');
    const topology = await app.topology(app.config);
    expect(isTopology(topology)).toBe(true);
    expect(describeAny(topology).toString()).toContain('Source: KSTREAM-SOURCE-0000000000 (topics: [text-lines])');
  });

  it('describes a built topology as its Topology describes itself', () => {
    const builder = new StreamsBuilder();
    builder.stream('in').filter(() => true).to('out');
    const topology = builder.build();
    expect(describeAny(topology.build()).toString()).toBe(topology.describe().toString());
  });

  it('refuses a missing file, a module that fails to load, and modules without (or with both) topology exports', async () => {
    await expect(loadAppModule(path.join(dir, 'nope.ts'))).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('not found') });
    const throwing = moduleFile('throwing.mjs', "throw new Error('bad module');\n");
    await expect(loadAppModule(throwing)).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining('bad module') });
    const empty = moduleFile('empty.mjs', 'export const config = { applicationId: "x" };\n');
    await expect(loadAppModule(empty)).rejects.toMatchObject({ message: expect.stringContaining("neither 'topology' nor 'buildTopology()' (found: config)") });
    const both = moduleFile('both.mjs', 'export const topology = {}; export function buildTopology() {}\n');
    await expect(loadAppModule(both)).rejects.toMatchObject({ message: expect.stringContaining('exports both') });
    const badConfig = moduleFile('bad-config.mjs', 'export const config = 3; export function buildTopology() {}\n');
    await expect(loadAppModule(badConfig)).rejects.toMatchObject({ message: expect.stringContaining("'config' must be an object") });
  });

  it('refuses a topology export that is not a topology, and passes the final config to buildTopology', async () => {
    const notTopology = moduleFile('not-topology.mjs', 'export const topology = { nodes: [] };\n');
    const app = await loadAppModule(notTopology);
    await expect(app.topology({})).rejects.toMatchObject({ code: 'INVALID_CONFIG', message: expect.stringContaining("export 'topology' must give a Topology") });
    const seen = moduleFile('seen.mjs', 'export let seen = null; export function buildTopology(config) { seen = config; return null; }\n');
    const app2 = await loadAppModule(seen);
    await expect(app2.topology({ applicationId: 'from-flags' })).rejects.toMatchObject({ message: expect.stringContaining('buildTopology() must give') });
    expect(((await import(seen)) as { seen: unknown }).seen).toEqual({ applicationId: 'from-flags' });
  });
});
