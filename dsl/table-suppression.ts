/**
 * `KTable.suppress` in the graph: naming, Kafka's window-close rule and the buffer's serdes. Internal.
 */
import { StreamsError } from '../src/errors.js';
import type { Serde } from '../src/serdes/serde.js';
import { Serdes } from '../src/serdes/serdes.js';
import type { Windowed } from '../src/state/windowed.js';
import type { GraphBuilder } from './graph/graph-builder.js';
import type { NodeId } from './graph/graph-node.js';
import type { NewGraphNode } from './graph/graph.js';
import { Suppressed } from './options/suppressed.js';
import type { SuppressSettings } from './processors/ktable-suppress.js';
import type { SerdeResolver } from './processors/suppress-buffer.js';
import { WindowedSerdes } from './windowed-serdes.js';

/**
 * What a suppression needs to know of the windowed aggregation upstream: the time after a window's end at which it
 * closes, and how to wrap a plain key serde into the windowed key serde of its table.
 *
 * @example `const upstream: WindowedUpstream = { closeAfterEndMs: 10_000, windowedKeySerde: (s) => WindowedSerdes.timeWindowedSerdeFrom(s, 60_000) };`
 */
export interface WindowedUpstream {
  readonly closeAfterEndMs: number;
  readonly windowedKeySerde: (keySerde: Serde<unknown>) => Serde<Windowed<unknown>>;
}

/**
 * Kafka Streams' `GraphGraceSearchUtil.findAndVerifyWindowGrace`: walks up from `id` to the windowed aggregations
 * feeding it; a window closes grace ms after its end (time and sliding windows), a session gap + grace ms after its
 * end (it may still be extended until then). Several parents: the smallest. `null` when a source is reached first.
 *
 * @example
 * ```ts
 * findWindowedUpstream(builder, countNode.id)?.closeAfterEndMs; // 10000 for TimeWindows.ofSizeAndGrace(60_000, 10_000)
 * ```
 */
export function findWindowedUpstream(builder: GraphBuilder, id: NodeId): WindowedUpstream | null {
  const node = builder.node(id);
  switch (node.kind) {
    case 'window-aggregate': {
      const { windows } = node;
      const sizeMs = windows.kind === 'time' ? windows.sizeMs : windows.timeDifferenceMs;
      return { closeAfterEndMs: windows.graceMs, windowedKeySerde: (s) => WindowedSerdes.timeWindowedSerdeFrom(s, sizeMs) };
    }
    case 'session-aggregate':
      return {
        closeAfterEndMs: node.windows.inactivityGapMs + node.windows.graceMs,
        windowedKeySerde: (s) => WindowedSerdes.sessionWindowedSerdeFrom(s),
      };
    case 'stream-source':
    case 'table-source':
      return null;
    default: {
      let found: WindowedUpstream | null = null;
      for (const parent of node.parents) {
        const upstream = findWindowedUpstream(builder, parent);
        if (upstream === null) return null;
        if (found === null || upstream.closeAfterEndMs < found.closeAfterEndMs) found = upstream;
      }
      return found;
    }
  }
}

function isSerde(value: unknown): value is Serde<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as Serde<unknown>).serialize === 'function' && typeof (value as Serde<unknown>).deserialize === 'function';
}

function configuredSerde(appConfig: Readonly<Record<string, unknown>>, configKey: 'defaultKeySerde' | 'defaultValueSerde'): Serde<unknown> {
  const configured = appConfig[configKey];
  // The runtime always resolves both defaults; fall back to its own default otherwise.
  return isSerde(configured) ? configured : (Serdes.ByteArray() as Serde<unknown>);
}

/**
 * Adds the `table-suppress` node for `table.suppress(suppressed)` with Kafka Streams' names (processor
 * `KTABLE-SUPPRESS-<n>` then store `KTABLE-SUPPRESS-STATE-STORE-<n+1>`, or `<name>` and `<name>-store`) and returns
 * it. Throws `TOPOLOGY_INVALID` for `untilWindowCloses` without a windowed aggregation upstream.
 *
 * @example
 * ```ts
 * const node = addSuppression(builder, this.state.nodeId, this.state.keySerde, this.state.valueSerde, suppressed);
 * ```
 */
export function addSuppression(
  builder: GraphBuilder,
  parent: NodeId,
  keySerde: Serde<unknown> | undefined,
  valueSerde: Serde<unknown> | undefined,
  suppressed: Suppressed<unknown>,
): { readonly id: NodeId; readonly name: string } {
  if (!(suppressed instanceof Suppressed)) throw new StreamsError('INVALID_CONFIG', 'suppress needs Suppressed.untilWindowCloses(...) or Suppressed.untilTimeLimit(...)');
  const upstream = findWindowedUpstream(builder, parent);
  if (suppressed.kind === 'window-close' && upstream === null) {
    throw new StreamsError(
      'TOPOLOGY_INVALID',
      `Suppressed.untilWindowCloses is only defined for windowed computations; ${builder.node(parent).name} has no windowed aggregation upstream`,
    );
  }
  const name = suppressed.name ?? builder.newProcessorName('KTABLE-SUPPRESS-');
  const storeName = suppressed.name === undefined ? builder.newStoreName('KTABLE-SUPPRESS-') : `${suppressed.name}-store`;
  const { bufferConfig } = suppressed;
  const isWindowClose = suppressed.kind === 'window-close';
  const settings: SuppressSettings = Object.freeze({
    timeDefinition: isWindowClose ? 'window-end' : 'record-time',
    suppressDurationMs: isWindowClose ? upstream!.closeAfterEndMs : suppressed.timeToWaitMs,
    maxRecords: bufferConfig.maxRecords,
    maxBytes: bufferConfig.maxBytes,
    bufferFullStrategy: bufferConfig.bufferFullStrategy,
    // A final result is never a deletion (Kafka's safeToDropTombstones).
    safeToDropTombstones: isWindowClose,
  });
  const keySerdeOf: SerdeResolver<unknown> =
    keySerde !== undefined
      ? () => keySerde
      : upstream !== null
        ? (appConfig) => upstream.windowedKeySerde(configuredSerde(appConfig, 'defaultKeySerde'))
        : (appConfig) => configuredSerde(appConfig, 'defaultKeySerde');
  const valueSerdeOf: SerdeResolver<unknown> = valueSerde !== undefined ? () => valueSerde : (appConfig) => configuredSerde(appConfig, 'defaultValueSerde');
  const node: NewGraphNode = {
    kind: 'table-suppress',
    name,
    parents: [parent],
    storeName,
    settings,
    isLoggingEnabled: bufferConfig.isLoggingEnabled,
    logConfig: bufferConfig.logConfig,
    keySerdeOf,
    valueSerdeOf,
  };
  return builder.add(node);
}
