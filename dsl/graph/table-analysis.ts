/**
 * Which table nodes must send old values and which table sources must be materialized: Kafka Streams sets these
 * with `enableSendingOldValues` calls on mutable nodes; here they are derived from the finished graph.
 */
import { StreamsError } from '../../src/errors.js';
import type { GraphNode, NodeId } from './graph-node.js';
import type { Graph } from './graph.js';

/**
 * The result of {@link analyzeTables}: nodes that must forward old values with each update, and table sources
 * (`table()`, `toTable()`) that must keep a store.
 *
 * @example
 * ```ts
 * const { sendsOldValues, materialized } = analyzeTables(graph);
 * sendsOldValues.has(tableSource.id); // true when a groupBy reads the table
 * ```
 */
export interface TableAnalysis {
  readonly sendsOldValues: ReadonlySet<NodeId>;
  readonly materialized: ReadonlySet<NodeId>;
}

/**
 * Finds the table nodes that must send old values: the parent of every `KTable.groupBy` (its subtractor needs the old
 * value), and, through unmaterialized `filter`/`mapValues` (which compute old values from their parent's), up to
 * the nearest node with a store. A table source asked for old values is materialized (it needs the old row), as is
 * any table source or `toTable` given a store name. Joins read tables through value getters, which materialize the
 * nearest table sources upstream; a left (outer) table-table join also asks its left (both) side(s) for old values.
 *
 * @example
 * ```ts
 * // builder.table('users').groupBy(...).count(): the KTABLE-SOURCE is materialized and sends old values
 * analyzeTables(graph).materialized.size; // 1
 * ```
 */
export function analyzeTables(graph: Graph): TableAnalysis {
  const byId = new Map<NodeId, GraphNode>(graph.nodes.map((n) => [n.id, n]));
  const sendsOldValues = new Set<NodeId>();
  const materialized = new Set<NodeId>();
  const request = (id: NodeId): void => {
    if (sendsOldValues.has(id)) return;
    const node = byId.get(id);
    if (node === undefined) throw new StreamsError('ILLEGAL_STATE', `no graph node ${id}`);
    sendsOldValues.add(id);
    switch (node.kind) {
      case 'table-source':
      case 'to-table':
      case 'table-fk-join':
        materialized.add(id);
        return;
      case 'table-filter':
      case 'table-map-values':
        if (node.store === null) request(node.parents[0]!);
        return;
      case 'table-suppress':
        // The buffer forwards the old value of its first buffered update: upstream must send it.
        request(node.parents[0]!);
        return;
      case 'stream-aggregate':
      case 'stream-reduce':
      case 'window-aggregate':
      case 'session-aggregate':
      case 'table-aggregate':
      case 'table-reduce':
        return;
      case 'table-join':
        // As Kafka Streams: a join computes old results from both sides' old rows, so both must send them.
        request(node.parents[0]!);
        request(node.parents[1]!);
        return;
      default:
        throw new StreamsError('ILLEGAL_STATE', `node ${node.name} (${node.kind}) is not a table and cannot send old values`);
    }
  };
  // A join reads a table through its value getter: the nearest stores upstream must exist (table sources get one).
  const requestGetter = (id: NodeId): void => {
    const node = byId.get(id);
    if (node === undefined) throw new StreamsError('ILLEGAL_STATE', `no graph node ${id}`);
    switch (node.kind) {
      case 'table-source':
      case 'to-table':
      case 'table-fk-join':
        materialized.add(id);
        return;
      case 'table-filter':
      case 'table-map-values':
        if (node.store === null) requestGetter(node.parents[0]!);
        return;
      case 'table-join':
        if (node.store === null) {
          requestGetter(node.parents[0]!);
          requestGetter(node.parents[1]!);
        }
        return;
      case 'stream-aggregate':
      case 'stream-reduce':
      case 'table-aggregate':
      case 'table-reduce':
        return;
      default:
        throw new StreamsError('TOPOLOGY_INVALID', `node ${node.name} (${node.kind}) is not a key-value table and cannot be joined`);
    }
  };
  for (const node of graph.nodes) {
    if ((node.kind === 'table-source' || node.kind === 'to-table' || node.kind === 'table-fk-join') && node.isQueryable) materialized.add(node.id);
    if (node.kind === 'table-fk-join') {
      // Both sides are read through getters; both send old values (Kafka's enableSendingOldValues): the left side's
      // to unsubscribe from an old foreign key, the other's so a deleted row still reaches its subscribers.
      requestGetter(node.parents[0]!);
      requestGetter(node.parents[1]!);
      request(node.parents[0]!);
      request(node.parents[1]!);
    }
    if (node.kind === 'table-group-by') request(node.parents[0]!);
    if (node.kind === 'stream-table-join') requestGetter(node.table);
    if (node.kind === 'table-join') {
      requestGetter(node.parents[0]!);
      requestGetter(node.parents[1]!);
      // The left side's deletions must carry the old row to become result deletions (Kafka's enableSendingOldValues).
      if (node.variant !== 'inner') request(node.parents[0]!);
      if (node.variant === 'outer') request(node.parents[1]!);
    }
  }
  return { sendsOldValues, materialized };
}
