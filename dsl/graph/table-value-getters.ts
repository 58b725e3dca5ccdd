/**
 * The value getter of a table node of the graph: how a join compiled against it reads its current rows.
 */
import { StreamsError } from '../../src/errors.js';
import { filterValueGetter, joinValueGetter, mapValuesValueGetter, storeValueGetter } from '../processors/ktable-value-getter.js';
import type { TableValueGetterSupplier } from '../processors/ktable-value-getter.js';
import type { GraphNode, NodeId } from './graph-node.js';

/**
 * The {@link TableValueGetterSupplier} of table node `id`: its store when it has one (table sources the analysis
 * materialized, aggregations, tables materialized under a name), else a getter derived from its parents' getters.
 * Throws `TOPOLOGY_INVALID` for a node that is not a key-value table (a windowed table, a stream).
 *
 * @example
 * ```ts
 * const getter = tableValueGetter(byId, joinNode.table);
 * topology.connectProcessorAndStateStores(joinNode.name, ...getter.storeNames);
 * ```
 */
export function tableValueGetter(byId: ReadonlyMap<NodeId, GraphNode>, id: NodeId): TableValueGetterSupplier<unknown, unknown> {
  const node = byId.get(id);
  if (node === undefined) throw new StreamsError('ILLEGAL_STATE', `no graph node ${id}`);
  switch (node.kind) {
    case 'table-source':
    case 'to-table':
    case 'stream-aggregate':
    case 'stream-reduce':
    case 'table-aggregate':
    case 'table-reduce':
    case 'table-fk-join':
      return storeValueGetter(node.store.name);
    case 'table-filter':
      return node.store === null ? filterValueGetter(tableValueGetter(byId, node.parents[0]!), node.predicate, node.isNot) : storeValueGetter(node.store.name);
    case 'table-map-values':
      return node.store === null ? mapValuesValueGetter(tableValueGetter(byId, node.parents[0]!), node.mapper) : storeValueGetter(node.store.name);
    case 'table-join':
      if (node.store !== null) return storeValueGetter(node.store.name);
      return joinValueGetter(tableValueGetter(byId, node.parents[0]!), tableValueGetter(byId, node.parents[1]!), node.joiner, node.variant);
    default:
      throw new StreamsError('TOPOLOGY_INVALID', `node ${node.name} (${node.kind}) is not a key-value table and cannot be joined`);
  }
}
