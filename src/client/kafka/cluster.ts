import { StreamsError, toError } from '../../errors.js';
import { ApiKey, type ApiKeyNumber } from '../../protocol/api-keys.js';
import type { FindCoordinatorRequest } from '../../protocol/messages.js';
import { errorFromKafkaCode } from '../../protocol/error-codes.js';
import { systemClock, type Clock } from '../../util/clock.js';
import { silentLogger, type Logger } from '../../util/logger.js';
import { systemTimers, type Timers } from '../../util/timers.js';
import type { KafkaConnection, KafkaResponse, KafkaSecurityOptions, RequestBodyInput, SendOptions } from './connection.js';
import { ConnectionPool } from './connection-pool.js';
import { MetadataCache, type BrokerAddress, type TopicMetadata } from './metadata-cache.js';

/**
 * Options of a {@link KafkaCluster}, with Kafka's client config meanings.
 *
 * @example
 * ```ts
 * const options: KafkaClusterOptions = { bootstrapServers: ['localhost:9092'], clientId: 'word-count', retries: 5 };
 * ```
 */
export interface KafkaClusterOptions extends KafkaSecurityOptions {
  /** `host:port` entries (`[::1]:9092` for IPv6); any one reachable broker is enough to learn the others. */
  readonly bootstrapServers: readonly string[];
  readonly clientId?: string;
  readonly logger?: Logger;
  /** Kafka's request.timeout.ms (default 30000). */
  readonly requestTimeoutMs?: number;
  /** Kafka's socket.connection.setup.timeout.ms, here covering the ApiVersions handshake too (default 10000). */
  readonly connectTimeoutMs?: number;
  /** How many times {@link KafkaCluster.retry} runs a call again after a retriable error (default 10). */
  readonly retries?: number;
  /** First backoff between retries, doubled each time (Kafka's retry.backoff.ms, default 100). */
  readonly retryBackoffMs?: number;
  /** Cap of the backoff (Kafka's retry.backoff.max.ms, default 1000). */
  readonly maxRetryBackoffMs?: number;
  /** Metadata older than this is refreshed before use (Kafka's metadata.max.age.ms, default 300000). */
  readonly metadataMaxAgeMs?: number;
  readonly clock?: Clock;
  readonly timers?: Timers;
}

/**
 * A StreamsError for a Kafka error code found in a response body, naming the topic and partition it concerns (so
 * {@link KafkaCluster.retry} can invalidate the right leader); null for 0 (no error).
 *
 * @example
 * ```ts
 * const err = responseError(p.errorCode, 'Produce', { topic: 'lines', partition: 0 });
 * if (err !== null) throw err;
 * ```
 */
export function responseError(
  code: number,
  context: string,
  position: { readonly topic?: string; readonly partition?: number; readonly message?: string | null } = {},
): StreamsError | null {
  return errorFromKafkaCode(code, context, position);
}

/**
 * Parses `host:port` or `[ipv6]:port`; INVALID_CONFIG otherwise.
 *
 * @example
 * ```ts
 * parseHostPort('[::1]:9092'); // { host: '::1', port: 9092 }
 * ```
 */
export function parseHostPort(server: string): { readonly host: string; readonly port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(server) ?? /^([^:]+):(\d+)$/.exec(server);
  const port = m === null ? NaN : Number(m[2]);
  if (m === null || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new StreamsError('INVALID_CONFIG', `bootstrap server must be host:port, got '${server}'`);
  }
  return { host: m[1]!, port };
}

/**
 * The client's view of a Kafka cluster: which brokers exist, which leads each partition, which coordinates each
 * group and transactional id; one {@link KafkaConnection} per broker, opened on demand and shared by every request
 * to that broker. Clients (admin, producer, consumer) send through it and wrap their calls in {@link retry}.
 *
 * Metadata is cached per topic and refreshed when unknown, invalidated (a NOT_LEADER_OR_FOLLOWER, a lost
 * connection) or older than `metadataMaxAgeMs`; concurrent refreshes of the same topics share one request. A lost
 * connection to a node forgets the leaders and coordinators on that node, so the retry looks them up again.
 *
 * @example
 * ```ts
 * const cluster = new KafkaCluster({ bootstrapServers: ['localhost:9092'], clientId: 'tool' });
 * const leader = await cluster.leaderFor('lines', 0);
 * const { body } = await cluster.retry('ListOffsets', () => cluster.send(leader, ApiKey.ListOffsets, request));
 * await cluster.close();
 * ```
 */
export class KafkaCluster {
  readonly logger: Logger;
  readonly clock: Clock;
  readonly timers: Timers;
  readonly clientId: string;
  readonly requestTimeoutMs: number;
  /** How many times a retriable failure is retried (Kafka's retries). */
  readonly retries: number;
  /** TLS and SASL of every connection to the cluster (also those opened outside the pool, e.g. the group client's). */
  readonly security: KafkaSecurityOptions;
  readonly #bootstrap: readonly { readonly host: string; readonly port: number }[];
  readonly #retryBackoffMs: number;
  readonly #maxRetryBackoffMs: number;
  readonly #metadataMaxAgeMs: number;
  readonly #meta = new MetadataCache();
  readonly #pool: ConnectionPool;
  readonly #coordinators = new Map<string, number>();
  readonly #findingCoordinator = new Map<string, Promise<number>>();
  #refreshing: { readonly topics: ReadonlySet<string> | null; readonly promise: Promise<void> } | null = null;
  #closed = false;

  constructor(options: KafkaClusterOptions) {
    if (options.bootstrapServers.length === 0) throw new StreamsError('INVALID_CONFIG', 'bootstrapServers must name at least one broker');
    this.#bootstrap = options.bootstrapServers.map(parseHostPort);
    this.clientId = options.clientId ?? 'tributary';
    this.logger = options.logger ?? silentLogger();
    this.clock = options.clock ?? systemClock;
    this.timers = options.timers ?? systemTimers;
    this.requestTimeoutMs = options.requestTimeoutMs ?? 30_000;
    this.retries = options.retries ?? 10;
    this.#retryBackoffMs = options.retryBackoffMs ?? 100;
    this.#maxRetryBackoffMs = options.maxRetryBackoffMs ?? 1000;
    this.#metadataMaxAgeMs = options.metadataMaxAgeMs ?? 300_000;
    this.security = { ...(options.ssl === undefined ? {} : { ssl: options.ssl }), ...(options.sasl === undefined ? {} : { sasl: options.sasl }) };
    this.#pool = new ConnectionPool({
      clientId: this.clientId,
      logger: this.logger,
      requestTimeoutMs: this.requestTimeoutMs,
      connectTimeoutMs: options.connectTimeoutMs ?? 10_000,
      timers: this.timers,
      security: this.security,
    });
  }

  /**
   * Sends to one node (connecting on demand). `body` may depend on the negotiated version. A NETWORK_FAILED here
   * also forgets what was known to live on that node (leaders, coordinators). Error codes inside the response are
   * the caller's to read (see {@link responseError}).
   */
  async send<K extends ApiKeyNumber>(nodeId: number, apiKey: K, body: RequestBodyInput<K>, options?: SendOptions): Promise<KafkaResponse<K>> {
    try {
      const conn = await this.#connectionTo(nodeId);
      return await conn.send(apiKey, body, options);
    } catch (e: unknown) {
      if (e instanceof StreamsError && e.code === 'NETWORK_FAILED') this.#forgetNode(nodeId);
      throw e;
    }
  }

  /** Sends to any live node: an open connection if there is one, else a known broker, else a bootstrap server. */
  async sendAny<K extends ApiKeyNumber>(apiKey: K, body: RequestBodyInput<K>, options?: SendOptions): Promise<KafkaResponse<K>> {
    const conn = await this.#anyConnection();
    return conn.send(apiKey, body, options);
  }

  /** The node leading a partition; refreshes metadata when unknown. UNKNOWN_TOPIC_OR_PARTITION when absent. */
  async leaderFor(topic: string, partition: number): Promise<number> {
    const t = await this.#topic(topic, partition);
    const leader = t.leaders[partition]!;
    if (leader < 0) {
      throw new StreamsError('NOT_LEADER_OR_FOLLOWER', `partition ${topic}-${partition} has no leader just now`, { topic, partition });
    }
    return leader;
  }

  /** Number of partitions of a topic; UNKNOWN_TOPIC_OR_PARTITION when the topic does not exist. */
  async partitionCount(topic: string): Promise<number> {
    return (await this.#topic(topic, -1)).leaders.length;
  }

  /** Whether the topic is internal (`__consumer_offsets`, ...), per the cached or fetched metadata. */
  async isInternal(topic: string): Promise<boolean> {
    return (await this.#topic(topic, -1)).isInternal;
  }

  /**
   * Fetches metadata for the topics (all topics when omitted; none, just brokers and controller, for `[]`) and
   * merges it into the cache. Concurrent calls covered by one in flight share it.
   */
  refreshMetadata(topics?: readonly string[]): Promise<void> {
    const cur = this.#refreshing;
    if (cur !== null && (cur.topics === null || (topics !== undefined && topics.every((t) => cur.topics!.has(t))))) return cur.promise;
    const wanted = topics === undefined ? null : new Set(topics);
    const promise = this.#fetchMetadata(wanted).finally(() => {
      if (this.#refreshing?.promise === promise) this.#refreshing = null;
    });
    this.#refreshing = { topics: wanted, promise };
    return promise;
  }

  /** The coordinator node of a group or transactional id (FindCoordinator, cached until invalidated). */
  findCoordinator(keyType: 'group' | 'transaction', key: string): Promise<number> {
    const k = `${keyType}\u0000${key}`;
    const known = this.#coordinators.get(k);
    if (known !== undefined) return Promise.resolve(known);
    let p = this.#findingCoordinator.get(k);
    if (p === undefined) {
      p = this.#lookUpCoordinator(keyType, key).then(
        (nodeId) => {
          this.#findingCoordinator.delete(k);
          this.#coordinators.set(k, nodeId);
          return nodeId;
        },
        (e: unknown) => {
          this.#findingCoordinator.delete(k);
          throw e;
        },
      );
      this.#findingCoordinator.set(k, p);
    }
    return p;
  }

  /** Forgets a coordinator (after NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE); the next lookup asks again. */
  invalidateCoordinator(keyType: 'group' | 'transaction', key: string): void {
    this.#coordinators.delete(`${keyType}\u0000${key}`);
  }

  /** Forgets a partition's leader (after NOT_LEADER_OR_FOLLOWER); the next {@link leaderFor} refreshes. */
  invalidateLeader(topic: string, partition: number): void {
    this.#meta.invalidateLeader(topic, partition);
  }

  /** The controller's node id (where CreateTopics and DeleteTopics go); any broker when metadata names none (KRaft). */
  async controllerId(): Promise<number> {
    if (this.#meta.controllerId < 0 || !this.#meta.brokers.has(this.#meta.controllerId)) await this.refreshMetadata([]);
    if (this.#meta.controllerId >= 0 && this.#meta.brokers.has(this.#meta.controllerId)) return this.#meta.controllerId;
    const any = this.#meta.brokers.keys().next();
    if (any.done === true) throw new StreamsError('COORDINATOR_NOT_AVAILABLE', 'metadata lists no brokers');
    return any.value;
  }

  /** Brokers as the latest metadata listed them. */
  brokers(): BrokerAddress[] {
    return [...this.#meta.brokers.values()];
  }

  /**
   * Sends to the coordinator of a group or transactional id under {@link retry}: looks the coordinator up, sends,
   * reads the response's error with `errorOf`, and on NOT_COORDINATOR / COORDINATOR_NOT_AVAILABLE (or a lost
   * connection) forgets the coordinator so the next attempt finds it again.
   *
   * @example
   * ```ts
   * const { body } = await cluster.withCoordinator('group', 'g', 'Heartbeat',
   *   (node) => cluster.send(node, ApiKey.Heartbeat, { groupId: 'g', generationId, memberId }),
   *   (r) => responseError(r.body.errorCode, 'Heartbeat'));
   * ```
   */
  withCoordinator<T>(
    keyType: 'group' | 'transaction',
    key: string,
    what: string,
    call: (nodeId: number) => Promise<T>,
    errorOf: (response: T) => StreamsError | null,
  ): Promise<T> {
    return this.retry(what, async () => {
      const nodeId = await this.findCoordinator(keyType, key);
      const response = await call(nodeId);
      const err = errorOf(response);
      if (err === null) return response;
      if (err.code === 'NOT_COORDINATOR' || err.code === 'COORDINATOR_NOT_AVAILABLE') this.invalidateCoordinator(keyType, key);
      throw err;
    });
  }

  /**
   * Runs `fn` again on retriable StreamsErrors (NOT_LEADER_OR_FOLLOWER, NOT_COORDINATOR, NETWORK_FAILED, TIMEOUT,
   * CONCURRENT_TRANSACTIONS, ...) with exponential backoff and jitter, at most `retries` times; other errors, and
   * the last retriable one, reject. An error naming a topic/partition invalidates that leader first. Coordinator
   * errors are the caller's to invalidate (it knows the key) before throwing.
   *
   * @example
   * ```ts
   * await cluster.retry('EndTxn', async () => {
   *   const node = await cluster.findCoordinator('transaction', txnId);
   *   const { body } = await cluster.send(node, ApiKey.EndTxn, request);
   *   const err = responseError(body.errorCode, 'EndTxn');
   *   if (err?.code === 'NOT_COORDINATOR') cluster.invalidateCoordinator('transaction', txnId);
   *   if (err !== null) throw err;
   * });
   * ```
   */
  async retry<T>(what: string, fn: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await fn();
      } catch (e: unknown) {
        if (this.#closed || !(e instanceof StreamsError) || !e.retriable || attempt >= this.retries) throw e;
        if (e.topic !== undefined) this.invalidateLeader(e.topic, e.partition ?? -1);
        const delayMs = this.backoffMs(attempt);
        this.logger.debug({ what, attempt, delayMs, code: e.code, err: e.message }, 'retrying');
        await new Promise<void>((resolve) => this.timers.setTimeout(resolve, delayMs, true));
      }
    }
  }

  /** The backoff before retry number `attempt + 1`: doubling from retryBackoffMs, capped, ±20% jitter. */
  backoffMs(attempt: number): number {
    const base = Math.min(this.#maxRetryBackoffMs, this.#retryBackoffMs * 2 ** Math.min(attempt, 30));
    return Math.max(0, Math.round(base * (0.8 + Math.random() * 0.4)));
  }

  /** Closes every connection; later calls reject with CLOSED. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#pool.close();
  }

  // ---- internals ----------------------------------------------------------------------------------------------

  async #topic(topic: string, partition: number): Promise<TopicMetadata> {
    let t = this.#meta.topics.get(topic);
    if (t === undefined || this.#isStale(t, partition)) {
      await this.refreshMetadata([topic]);
      t = this.#meta.topics.get(topic);
    }
    if (t === undefined) throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} does not exist`, { topic, retriable: false });
    if (t.leaders.length === 0 && t.errorCode !== 0) {
      throw responseError(t.errorCode, `metadata of ${topic}`, { topic }) ?? new StreamsError('UNKNOWN_SERVER_ERROR', `metadata of ${topic}`);
    }
    if (partition >= t.leaders.length) {
      throw new StreamsError('UNKNOWN_TOPIC_OR_PARTITION', `topic ${topic} has partitions 0..${t.leaders.length - 1}; partition ${partition} does not exist`, {
        topic,
        partition,
        retriable: false,
      });
    }
    return t;
  }

  #isStale(t: TopicMetadata, partition: number): boolean {
    if (this.clock.nowMs() - t.fetchedAtMs > this.#metadataMaxAgeMs) return true;
    if (t.errorCode !== 0) return true;
    if (partition >= t.leaders.length) return true;
    return partition >= 0 && (t.leaders[partition]! < 0 || !this.#meta.brokers.has(t.leaders[partition]!));
  }

  async #fetchMetadata(topics: ReadonlySet<string> | null): Promise<void> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the Kafka client is closed');
    const names = topics === null ? null : [...topics];
    const { body } = await this.sendAny(ApiKey.Metadata, (v) => ({
      topics: names === null ? (v === 0 ? [] : null) : names.map((name) => ({ name })),
      allowAutoTopicCreation: false,
    }));
    this.#meta.apply(body, topics, this.clock.nowMs());
  }

  async #lookUpCoordinator(keyType: 'group' | 'transaction', key: string): Promise<number> {
    const type = keyType === 'group' ? 0 : 1;
    const { version, body } = await this.sendAny(ApiKey.FindCoordinator, (v): FindCoordinatorRequest =>
      v >= 4 ? { key: '', keyType: type, coordinatorKeys: [key] } : { key, keyType: type },
    );
    const c = version >= 4 ? body.coordinators?.[0] : body;
    if (c === undefined) throw new StreamsError('COORDINATOR_NOT_AVAILABLE', `FindCoordinator(${keyType} ${key}) returned no coordinator`);
    const err = responseError(c.errorCode ?? 0, `FindCoordinator(${keyType} ${key})`);
    if (err !== null) throw err;
    const nodeId = c.nodeId ?? -1;
    if (nodeId < 0) throw new StreamsError('COORDINATOR_NOT_AVAILABLE', `no coordinator for ${keyType} ${key} just now`);
    this.#meta.brokers.set(nodeId, { nodeId, host: c.host ?? '', port: c.port ?? 0 });
    return nodeId;
  }

  async #connectionTo(nodeId: number): Promise<KafkaConnection> {
    let b = this.#meta.brokers.get(nodeId);
    if (b === undefined) {
      await this.refreshMetadata([]);
      b = this.#meta.brokers.get(nodeId);
      if (b === undefined) throw new StreamsError('NETWORK_FAILED', `broker ${nodeId} is not in the cluster metadata`);
    }
    return this.#pool.get(b.host, b.port);
  }

  async #anyConnection(): Promise<KafkaConnection> {
    if (this.#closed) throw new StreamsError('CLOSED', 'the Kafka client is closed');
    const open = this.#pool.anyOpen();
    if (open !== null) return open;
    const candidates = [...this.#meta.brokers.values(), ...this.#bootstrap];
    // Start at a random broker so many clients do not all bootstrap through the first one.
    const start = candidates.length > this.#bootstrap.length ? Math.floor(Math.random() * (candidates.length - this.#bootstrap.length)) : 0;
    let last: unknown = null;
    for (let i = 0; i < candidates.length; i++) {
      const c = candidates[(start + i) % candidates.length]!;
      try {
        return await this.#pool.get(c.host, c.port);
      } catch (e: unknown) {
        last = e;
        this.logger.debug({ broker: `${c.host}:${c.port}`, err: toError(e).message }, 'broker unreachable');
      }
    }
    if (last instanceof StreamsError) throw last;
    throw new StreamsError('NETWORK_FAILED', 'no broker reachable', { cause: last });
  }

  /** A connection to the node failed: its leaderships and coordinatorships are suspect until looked up again. */
  #forgetNode(nodeId: number): void {
    this.#meta.forgetLeadersOn(nodeId);
    for (const [k, n] of this.#coordinators) if (n === nodeId) this.#coordinators.delete(k);
  }
}
