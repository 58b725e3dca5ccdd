/**
 * The seam between the Kafka-protocol server and what serves each API: a handler takes a decoded request body and
 * returns the response body; the server owns sockets, framing, ordering and errors.
 */
import type { ApiKeyNumber } from '../../protocol/api-keys.js';
import type { RequestBodies, ResponseBodies } from '../../protocol/messages.js';
import type { Logger } from '../../util/logger.js';
import type { Broker } from '../broker.js';
import type { Authorizer } from '../security/authorizer.js';
import type { QuotaManager } from '../security/quota.js';

/**
 * What a handler knows about the request it serves. tributary runs one node: `nodeId` is the controller, every
 * partition's leader and every group's and transaction's coordinator, reachable at the advertised address.
 *
 * @example
 * ```ts
 * const handler: ApiHandler<typeof ApiKey.FindCoordinator> = (ctx) => ({ errorCode: 0, nodeId: ctx.nodeId, host: ctx.advertisedHost, port: ctx.advertisedPort });
 * ```
 */
export interface RequestContext {
  readonly broker: Broker;
  readonly apiVersion: number;
  readonly clientId: string | null;
  /** `address:port` of the client, for logs. */
  readonly peer: string;
  readonly logger: Logger;
  readonly nodeId: number;
  readonly advertisedHost: string;
  readonly advertisedPort: number;
  /** Aborts when the connection closes or the server stops: long polls stop waiting. */
  readonly signal: AbortSignal;
  /**
   * Who sent the request, as Kafka names principals: `User:ANONYMOUS` on a plaintext listener without SASL, `User:<name>`
   * after SASL, the certificate's subject (`User:CN=...`) with TLS client authentication.
   */
  readonly principal: string;
  /** Decides what `principal` may do (handlers ask through isAuthorized); absent: no authorizer, everything is allowed. */
  readonly authorizer?: Authorizer | undefined;
  /** Per-principal byte-rate quotas (Produce and Fetch record their bytes); absent: no quotas. */
  readonly quotas?: QuotaManager | undefined;
  /**
   * Mutes the connection for `ms`: no further request is read from it until then (Kafka's KIP-219 throttling: the
   * response carrying `throttleTimeMs` is sent at once, the channel is muted after it). Absent outside a connection.
   */
  readonly throttle?: ((ms: number) => void) | undefined;
}

/**
 * Serves one API: the decoded request in, the response body out (sync or async). Errors that concern a partition or
 * a group belong in the response's error codes; a throw closes the connection.
 *
 * @example
 * ```ts
 * const heartbeat: ApiHandler<12> = (ctx, req) => ({ throttleTimeMs: 0, errorCode: 0 });
 * ```
 */
export type ApiHandler<K extends ApiKeyNumber> = (ctx: RequestContext, request: RequestBodies[K]) => ResponseBodies[K] | Promise<ResponseBodies[K]>;

/**
 * Handlers by API key; the server merges several tables (data plane, coordinators, security).
 *
 * @example
 * ```ts
 * const table: HandlerTable = { [ApiKey.Heartbeat]: heartbeat };
 * ```
 */
export type HandlerTable = { readonly [K in ApiKeyNumber]?: ApiHandler<K> };
