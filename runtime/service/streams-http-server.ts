/**
 * The HTTP face of a running KafkaStreams instance (node:http, no framework): health and readiness, Prometheus
 * metrics, interactive queries forwarded to the owning instance, the JSON the dashboard polls, and the dashboard.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Subscription } from 'rxjs';
import { isStreamsError, toError } from '../../src/errors.js';
import { systemClock, type Clock } from '../../src/util/clock.js';
import { defaultLogger, type Logger } from '../../src/util/logger.js';
import type { KafkaStreams } from '../kafka-streams.js';
import { dashboardAsset } from './dashboard/assets.js';
import { HttpError, sendError, sendJson, sendText } from './http-response.js';
import { IqForwarder } from './iq-forwarder.js';
import { RecentErrors } from './recent-errors.js';
import { handleStoreRequest, type StoreQueryOptions, type StoreRoutesContext } from './store-routes.js';
import { PROMETHEUS_CONTENT_TYPE, toPrometheusText } from '../metrics/prometheus.js';
import { health, ready, status, storeNamesOf, topologyAnswer } from './status-routes.js';

/**
 * Options of {@link StreamsHttpServer.start}.
 *
 * @example
 * ```ts
 * const options: StreamsHttpServerOptions = { port: 8080, stores: { counts: { keyParser: (s) => s.toLowerCase() } } };
 * ```
 */
export interface StreamsHttpServerOptions {
  /** Interface to listen on (default: all). */
  readonly host?: string;
  /** Port to listen on; 0 picks a free one (see `address`). */
  readonly port: number;
  readonly logger?: Logger;
  /** Per store: how keys in paths and ranges are parsed and serialized (default: string keys, `Serdes.String()`). */
  readonly stores?: Readonly<Record<string, StoreQueryOptions>>;
  /** How long a forwarded query may take (default 10000 ms). */
  readonly forwardTimeoutMs?: number;
  /** The most entries one range or scan answers (default 10000; `?limit=` asks for fewer). */
  readonly maxResults?: number;
  readonly clock?: Clock;
}

/** How many recent errors /api/status keeps. */
const RECENT_ERRORS = 20;

/**
 * Serves one KafkaStreams instance over HTTP. Every answer is JSON (errors as `{ error, code }`, bigint values as
 * decimal strings) except `/metrics` (Prometheus text 0.0.4) and the dashboard.
 *
 * Routes (GET or HEAD): `/` and `/assets/*` the dashboard; `/health` 200 unless the instance failed or stopped;
 * `/ready` 200 once RUNNING with every task restored, else 503; `/metrics`; `/api/metrics` (Metric[]);
 * `/api/status` (state, tasks, recent errors, uptime, key metrics); `/api/topology` (graph, describe() text,
 * Mermaid); `/stores/:store/:key`; `/stores/:store?from=&to=&limit=` (a range, or every entry without bounds, from
 * every instance, ordered by serialized key); `/stores/:store/:key/windows?from=&to=` (window start times, ms).
 *
 * A key owned by another instance (found with `queryMetadataForKey` from the `applicationServer` endpoints the
 * instances exchange when they rebalance) is forwarded to its owner, marked `x-tributary-forwarded: 1`; a forwarded
 * request is never forwarded again (503 `NOT_OWNER`). While rebalancing, queries answer 503 with `Retry-After`. The
 * header `x-tributary-served-by` names the instance whose state answered. Without an `applicationServer` the
 * instance answers from its own state only.
 *
 * @example
 * ```ts
 * const streams = new KafkaStreams(topology, { applicationId: 'word-count', broker: 'localhost:9092', applicationServer: 'localhost:8080' });
 * const server = await StreamsHttpServer.start(streams, { port: 8080 });
 * await streams.start();
 * // curl localhost:8080/stores/counts/river  ->  {"store":"counts","key":"river","value":"12"}
 * await server.close();
 * ```
 */
export class StreamsHttpServer {
  readonly #server: http.Server;
  readonly #streams: KafkaStreams;
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #startedMs: number;
  readonly #errors = new RecentErrors(RECENT_ERRORS);
  readonly #forwarder: IqForwarder;
  readonly #storeContext: StoreRoutesContext;
  readonly #subscription: Subscription;
  #address: { host: string; port: number } = { host: '', port: 0 };

  private constructor(streams: KafkaStreams, options: StreamsHttpServerOptions) {
    this.#streams = streams;
    this.#logger = (options.logger ?? defaultLogger()).child({ component: 'http' });
    this.#clock = options.clock ?? systemClock;
    this.#startedMs = this.#clock.nowMs();
    this.#forwarder = new IqForwarder(options.forwardTimeoutMs ?? 10_000);
    const names = storeNamesOf(streams.describe());
    this.#storeContext = {
      streams,
      forwarder: this.#forwarder,
      storeNames: names.all,
      globalStoreNames: names.global,
      stores: options.stores ?? {},
      maxResults: options.maxResults ?? 10_000,
    };
    this.#subscription = streams.state$.subscribe((state) => {
      if (state !== 'ERROR') return;
      const e = streams.error;
      this.#errors.add({ timeMs: this.#clock.nowMs(), source: 'streams', code: e?.code ?? 'ERROR', message: e?.message ?? 'the instance failed' });
    });
    this.#server = http.createServer((req, res) => void this.#handle(req, res));
  }

  /**
   * Starts listening; resolves once the port is bound. The instance may be in any state (start the server before
   * `streams.start()` to report readiness while it restores).
   *
   * @throws Error the listen error (port in use, permission denied).
   */
  static async start(streams: KafkaStreams, options: StreamsHttpServerOptions): Promise<StreamsHttpServer> {
    const server = new StreamsHttpServer(streams, options);
    await new Promise<void>((resolve, reject) => {
      server.#server.once('error', reject);
      server.#server.listen(options.port, options.host, () => {
        server.#server.off('error', reject);
        resolve();
      });
    });
    const a = server.#server.address() as AddressInfo;
    server.#address = { host: a.address, port: a.port };
    server.#logger.info({ host: a.address, port: a.port, applicationServer: streams.applicationServer }, 'streams HTTP server listening');
    return server;
  }

  /** Where the server listens (the bound port when `port` was 0). */
  get address(): { host: string; port: number } {
    return this.#address;
  }

  /** Stops listening, closes open connections and the forwarding pool. Does not close the KafkaStreams instance. */
  async close(): Promise<void> {
    this.#subscription.unsubscribe();
    this.#forwarder.close();
    await new Promise<void>((resolve) => {
      this.#server.close(() => resolve());
      this.#server.closeAllConnections();
    });
  }

  async #handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    try {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${String(req.method)} is not allowed; use GET`);
      }
      await this.#route(req, res, url);
    } catch (e: unknown) {
      const error = e instanceof HttpError ? e : new HttpError(500, 'INTERNAL', toError(e).message);
      if (error.status >= 500 && error.status !== 503) {
        this.#logger.warn({ err: e, path: url.pathname }, 'request failed');
        this.#errors.add({ timeMs: this.#clock.nowMs(), source: 'http', code: isStreamsError(e) ? e.code : error.code, message: `${url.pathname}: ${error.message}` });
      }
      if (res.headersSent) res.destroy();
      else sendError(res, error, error.status === 405 ? { allow: 'GET, HEAD' } : {});
    }
  }

  async #route(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    const path = url.pathname;
    const streams = this.#streams;
    if (path.startsWith('/stores/')) {
      const segments = path.slice('/stores/'.length).split('/');
      if (segments.length > 1 && segments[segments.length - 1] === '') segments.pop();
      return handleStoreRequest(this.#storeContext, req, res, url, segments);
    }
    switch (path) {
      case '/health': {
        const a = health(streams);
        return sendJson(res, a.status, a.body);
      }
      case '/ready': {
        const a = ready(streams);
        return sendJson(res, a.status, a.body, a.status === 503 ? { 'retry-after': '1' } : {});
      }
      case '/metrics':
        return sendText(res, 200, toPrometheusText(streams.metrics()), PROMETHEUS_CONTENT_TYPE);
      case '/api/metrics':
        return sendJson(res, 200, streams.metrics());
      case '/api/status':
        return sendJson(res, 200, status(streams, this.#errors.list(), this.#clock.nowMs() - this.#startedMs));
      case '/api/topology':
        return sendJson(res, 200, topologyAnswer(streams.describe()));
      default: {
        const asset = dashboardAsset(path);
        if (asset === null) throw new HttpError(404, 'NOT_FOUND', `no route for ${path}`);
        return sendText(res, 200, asset.body, asset.contentType);
      }
    }
  }
}
