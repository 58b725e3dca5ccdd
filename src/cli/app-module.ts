/**
 * Loads an application module for `tributary run` and `tributary describe`: a .ts or .js file (tsx is registered
 * by bin/tributary.js) exporting its topology and its config.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { StreamsConfig } from '../../runtime/streams-config.js';
import { StreamsError, toError } from '../errors.js';
import type { BuiltTopology } from '../topology/built-topology.js';
import { describeTopology } from '../topology/describe-topology.js';
import type { TopologyDescription } from '../topology/topology-description.js';
import type { Topology } from '../topology/topology.js';

/**
 * What an application module exports, as loaded: `topology` (a Topology or a BuiltTopology) or a named function
 * `buildTopology(config)` returning one (or a promise of one), and optionally `config` (part of a StreamsConfig).
 *
 * @example
 * ```ts
 * // app.ts
 * export const config = { applicationId: 'word-count', commitIntervalMs: 1000 };
 * export function buildTopology(): Topology { const b = new StreamsBuilder(); ...; return b.build(); }
 * ```
 */
export interface AppModule {
  /** The absolute path of the module file. */
  readonly file: string;
  readonly config: Partial<StreamsConfig>;
  /** The topology, built with the final config (module config plus command-line overrides). */
  topology(config: Partial<StreamsConfig>): Promise<Topology | BuiltTopology>;
}

/**
 * Imports the module at `file` (relative to `cwd`) and checks its exports. INVALID_CONFIG when the file is missing,
 * fails to load, or exports neither `topology` nor `buildTopology` (or both), or a `config` that is not an object.
 *
 * @example
 * ```ts
 * const app = await loadAppModule('examples/app.ts');
 * const topology = await app.topology(app.config);
 * ```
 */
export async function loadAppModule(file: string, cwd: string = process.cwd()): Promise<AppModule> {
  const absolute = path.resolve(cwd, file);
  if (!fs.existsSync(absolute)) throw new StreamsError('INVALID_CONFIG', `application module ${file} not found (looked at ${absolute})`);
  let exports: Record<string, unknown>;
  try {
    exports = (await import(pathToFileURL(absolute).href)) as Record<string, unknown>;
  } catch (e: unknown) {
    throw new StreamsError('INVALID_CONFIG', `cannot load application module ${file}: ${toError(e).message}`, { cause: e });
  }
  const config = exports['config'] ?? {};
  if (typeof config !== 'object' || config === null || Array.isArray(config)) {
    throw new StreamsError('INVALID_CONFIG', `${file}: export 'config' must be an object (part of a StreamsConfig)`);
  }
  const given = exports['topology'];
  const builder = exports['buildTopology'];
  if (given !== undefined && builder !== undefined) throw new StreamsError('INVALID_CONFIG', `${file} exports both 'topology' and 'buildTopology'; export one`);
  if (given === undefined && builder === undefined) {
    throw new StreamsError('INVALID_CONFIG', `${file} exports neither 'topology' nor 'buildTopology()' (found: ${Object.keys(exports).join(', ') || 'nothing'})`);
  }
  if (builder !== undefined && typeof builder !== 'function') throw new StreamsError('INVALID_CONFIG', `${file}: export 'buildTopology' must be a function`);
  return {
    file: absolute,
    config: config as Partial<StreamsConfig>,
    async topology(final: Partial<StreamsConfig>): Promise<Topology | BuiltTopology> {
      const t: unknown = builder === undefined ? given : await (builder as (c: Partial<StreamsConfig>) => unknown)(final);
      if (!isTopology(t)) {
        throw new StreamsError('INVALID_CONFIG', `${file}: ${builder === undefined ? "export 'topology'" : 'buildTopology()'} must give a Topology (StreamsBuilder.build()) or a built topology`);
      }
      return t;
    },
  };
}

/**
 * Whether a value is a Topology (has build and describe) or a BuiltTopology (nodes and sub-topologies). Shapes, not
 * classes: a module may load its own copy of the package.
 *
 * @example
 * ```ts
 * isTopology(new StreamsBuilder().build()); // true
 * ```
 */
export function isTopology(value: unknown): value is Topology | BuiltTopology {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (typeof v['build'] === 'function' && typeof v['describe'] === 'function') || (v['nodes'] instanceof Map && Array.isArray(v['subtopologies']));
}

/**
 * The Kafka Streams description of a topology: `describe()` of a Topology, the same text built from a
 * BuiltTopology's nodes and stores.
 *
 * @example
 * ```ts
 * process.stdout.write(describeAny(topology).toString());
 * ```
 */
export function describeAny(topology: Topology | BuiltTopology): TopologyDescription {
  return 'describe' in topology ? topology.describe() : describeTopology(topology.nodes, topology.stores);
}
