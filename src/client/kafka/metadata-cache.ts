import type { MetadataResponse } from '../../protocol/messages.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';

/**
 * A broker's address as metadata (or FindCoordinator) advertised it.
 *
 * @example
 * ```ts
 * for (const b of cluster.brokers()) console.log(b.nodeId, `${b.host}:${b.port}`);
 * ```
 */
export interface BrokerAddress {
  readonly nodeId: number;
  readonly host: string;
  readonly port: number;
}

/**
 * What the client knows of one topic.
 *
 * @example
 * ```ts
 * const t: TopicMetadata = { isInternal: false, leaders: [0, 1], errorCode: 0, fetchedAtMs: Date.now() };
 * ```
 */
export interface TopicMetadata {
  readonly isInternal: boolean;
  /** Leader node id per partition; -1 when unknown or invalidated (the next lookup refreshes). */
  readonly leaders: number[];
  /** A topic-level error other than "unknown topic" (e.g. LEADER_NOT_AVAILABLE just after creation), else 0. */
  readonly errorCode: number;
  readonly fetchedAtMs: number;
}

/**
 * The cluster metadata a client caches: brokers, controller, and per topic its partitions' leaders. Filled from
 * Metadata responses; leaders are forgotten one by one (NOT_LEADER_OR_FOLLOWER) or per node (a lost connection).
 *
 * @example
 * ```ts
 * const cache = new MetadataCache();
 * cache.apply(metadataResponse, new Set(['lines']), Date.now());
 * cache.topics.get('lines')?.leaders[0];
 * ```
 */
export class MetadataCache {
  readonly brokers = new Map<number, BrokerAddress>();
  readonly topics = new Map<string, TopicMetadata>();
  controllerId = -1;

  /**
   * Merges a Metadata response: brokers and controller replaced, the topics in it replaced (all topics when
   * `requested` is null, i.e. the request asked for every topic); a topic answered UNKNOWN_TOPIC_OR_PARTITION is
   * dropped.
   */
  apply(body: MetadataResponse, requested: ReadonlySet<string> | null, nowMs: number): void {
    const brokers = body.brokers ?? [];
    if (brokers.length > 0) {
      this.brokers.clear();
      for (const b of brokers) {
        const nodeId = b.nodeId ?? -1;
        this.brokers.set(nodeId, { nodeId, host: b.host ?? '', port: b.port ?? 0 });
      }
    }
    this.controllerId = body.controllerId ?? -1;
    if (requested === null) this.topics.clear();
    for (const t of body.topics ?? []) {
      const name = t.name;
      if (name === null || name === undefined) continue;
      const errorCode = t.errorCode ?? 0;
      if (errorCode === KafkaErrorCode.UNKNOWN_TOPIC_OR_PARTITION) {
        this.topics.delete(name);
        continue;
      }
      const partitions = t.partitions ?? [];
      const leaders: number[] = new Array<number>(partitions.length).fill(-1);
      for (const p of partitions) {
        const index = p.partitionIndex ?? -1;
        if (index >= 0 && index < leaders.length) leaders[index] = p.errorCode === KafkaErrorCode.LEADER_NOT_AVAILABLE ? -1 : (p.leaderId ?? -1);
      }
      this.topics.set(name, { isInternal: t.isInternal ?? false, leaders, errorCode, fetchedAtMs: nowMs });
    }
  }

  /** Forgets one partition's leader, or the whole topic for a partition out of range (-1). */
  invalidateLeader(topic: string, partition: number): void {
    const t = this.topics.get(topic);
    if (t === undefined) return;
    if (partition >= 0 && partition < t.leaders.length) t.leaders[partition] = -1;
    else this.topics.delete(topic);
  }

  /** Forgets every leadership of a node. */
  forgetLeadersOn(nodeId: number): void {
    for (const t of this.topics.values()) {
      for (let p = 0; p < t.leaders.length; p++) if (t.leaders[p] === nodeId) t.leaders[p] = -1;
    }
  }
}
