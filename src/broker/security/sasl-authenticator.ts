/**
 * SASL on one broker connection: the SaslHandshake / SaslAuthenticate state machine, the gate that lets nothing but
 * ApiVersions and the SASL requests through before authentication, and the delayed close after a failure.
 */
import { StreamsError, toError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import type { SaslAuthenticateResponse, SaslHandshakeResponse } from '../../protocol/messages.js';
import type { Logger } from '../../util/logger.js';
import { systemTimers, type Timers } from '../../util/timers.js';
import type { ApiHandler } from '../server/handler.js';
import { PlainServer } from './sasl-plain.js';
import { CredentialStore } from './credential-store.js';
import { isSaslMechanismName, SASL_MECHANISMS, type CredentialLookup, type SaslMechanismName, type SaslServerMechanism } from './sasl-mechanism.js';
import { ScramServer } from './scram-server.js';

/**
 * How a SASL listener authenticates (shared by all its connections).
 *
 * @example
 * ```ts
 * const config: SaslServerConfig = { mechanisms: ['SCRAM-SHA-512', 'PLAIN'], credentials: CredentialStore.forDataDir(dir), failedAuthenticationDelayMs: 100 };
 * ```
 */
export interface SaslServerConfig {
  /** Enabled mechanisms (Kafka's sasl.enabled.mechanisms), in the order the handshake lists them. */
  readonly mechanisms: readonly SaslMechanismName[];
  /** The users; `refresh()` (the CredentialStore's) runs before each authentication to pick up changes. */
  readonly credentials: CredentialLookup & { refresh?(): Promise<void> };
  /** Kafka's connection.failed.authentication.delay.ms: the failure response and the close wait this long. */
  readonly failedAuthenticationDelayMs: number;
  readonly timers?: Timers;
}

/**
 * What the authenticator needs from its connection.
 *
 * @example
 * ```ts
 * const hooks: SaslConnectionHooks = { peer, logger, onAuthenticated: (p) => (conn.principal = p), onFailed: () => conn.beginClose() };
 * ```
 */
export interface SaslConnectionHooks {
  /** `address:port`, for logs. */
  readonly peer: string;
  readonly logger: Logger;
  /** Authentication succeeded: the connection's principal is now `User:<name>`. */
  onAuthenticated(principal: string): void;
  /** Read no more requests; close once the responses in flight (the failure's, after its delay) are written. */
  onFailed(): void;
}

/**
 * SASL settings of a broker's SASL_PLAINTEXT / SASL_SSL listeners (KafkaServerOptions.sasl).
 *
 * @example
 * ```ts
 * const sasl: SaslListenerOptions = { mechanisms: ['SCRAM-SHA-512'], failedAuthenticationDelayMs: 1000 };
 * ```
 */
export interface SaslListenerOptions {
  /** Kafka's sasl.enabled.mechanisms; default PLAIN, SCRAM-SHA-256 and SCRAM-SHA-512. */
  readonly mechanisms?: readonly SaslMechanismName[];
  /** The users; default the credential store of the broker's data directory (`tributary users`). */
  readonly credentials?: CredentialLookup & { refresh?(): Promise<void> };
  /** Kafka's connection.failed.authentication.delay.ms; default 100. */
  readonly failedAuthenticationDelayMs?: number;
}

/**
 * The {@link SaslServerConfig} for a broker whose log lives in `dataDir`, with defaults filled in. INVALID_CONFIG for
 * an empty mechanism list or an unknown mechanism; the credential file is read now (INVALID_CONFIG if malformed).
 *
 * @example
 * ```ts
 * const config = saslServerConfig(broker.dataDir, { mechanisms: ['SCRAM-SHA-512'] });
 * ```
 */
export function saslServerConfig(dataDir: string, options: SaslListenerOptions = {}): SaslServerConfig {
  const mechanisms = options.mechanisms ?? SASL_MECHANISMS;
  if (mechanisms.length === 0) throw new StreamsError('INVALID_CONFIG', 'SASL needs at least one enabled mechanism');
  for (const m of mechanisms) {
    if (!isSaslMechanismName(m)) throw new StreamsError('INVALID_CONFIG', `unknown SASL mechanism ${JSON.stringify(m)}; tributary speaks ${SASL_MECHANISMS.join(', ')}`);
  }
  const delayMs = options.failedAuthenticationDelayMs ?? 100;
  if (!Number.isInteger(delayMs) || delayMs < 0) throw new StreamsError('INVALID_CONFIG', `failedAuthenticationDelayMs must be a whole number >= 0, got ${delayMs}`);
  return { mechanisms: [...new Set(mechanisms)], credentials: options.credentials ?? CredentialStore.forDataDir(dataDir), failedAuthenticationDelayMs: delayMs };
}

type State = 'handshake' | 'authenticate' | 'authenticating' | 'authenticated' | 'failed';

const EMPTY = Buffer.alloc(0);

/**
 * The SASL state of one connection, as Kafka's SaslServerAuthenticator: `SaslHandshake` (v1) names a mechanism,
 * then `SaslAuthenticate` requests carry its tokens until it succeeds (the principal becomes `User:<name>`) or
 * fails. Before success only ApiVersions, SaslHandshake and SaslAuthenticate pass {@link permits}; anything else,
 * a request out of order, or a second authentication closes the connection.
 *
 * A failure is logged (peer, mechanism, the user name as given, and why), then after `failedAuthenticationDelayMs`
 * answered with SASL_AUTHENTICATION_FAILED and a message that never says whether the user exists, and the
 * connection closes. An unknown mechanism gets UNSUPPORTED_SASL_MECHANISM with the enabled list, then the same
 * delayed close.
 *
 * @example
 * ```ts
 * const sasl = new SaslAuthenticator(config, hooks);
 * if (!sasl.permits(apiKey)) connection.destroy();
 * const handler = sasl.handler(apiKey) ?? handlers[apiKey];
 * ```
 */
export class SaslAuthenticator {
  readonly #config: SaslServerConfig;
  readonly #hooks: SaslConnectionHooks;
  readonly #timers: Timers;
  #state: State = 'handshake';
  #mechanism: SaslServerMechanism | null = null;
  #mechanismName = '';
  readonly #handshake: ApiHandler<typeof ApiKey.SaslHandshake>;
  readonly #authenticate: ApiHandler<typeof ApiKey.SaslAuthenticate>;

  constructor(config: SaslServerConfig, hooks: SaslConnectionHooks) {
    this.#config = config;
    this.#hooks = hooks;
    this.#timers = config.timers ?? systemTimers;
    this.#handshake = (ctx, req) => this.#onHandshake(req.mechanism, ctx.apiVersion);
    this.#authenticate = (_ctx, req) => this.#onAuthenticate(req.authBytes);
  }

  /** True once a SaslAuthenticate exchange succeeded. */
  get isAuthenticated(): boolean {
    return this.#state === 'authenticated';
  }

  /** Whether a request with this API key may be served now (everything after authentication). */
  permits(apiKey: number): boolean {
    if (this.#state === 'authenticated') return true;
    if (this.#state === 'failed') return false;
    return apiKey === ApiKey.ApiVersions || apiKey === ApiKey.SaslHandshake || apiKey === ApiKey.SaslAuthenticate;
  }

  /** The handler of SaslHandshake or SaslAuthenticate on this connection; undefined for other keys. */
  handler(apiKey: number): ApiHandler<typeof ApiKey.SaslHandshake> | ApiHandler<typeof ApiKey.SaslAuthenticate> | undefined {
    if (apiKey === ApiKey.SaslHandshake) return this.#handshake;
    if (apiKey === ApiKey.SaslAuthenticate) return this.#authenticate;
    return undefined;
  }

  #onHandshake(requested: string, version: number): SaslHandshakeResponse | Promise<SaslHandshakeResponse> {
    const mechanisms = this.#config.mechanisms;
    if (this.#state === 'authenticated') return { errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE, mechanisms };
    if (this.#state !== 'handshake') return this.#illegal({ errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE, mechanisms }, 'SaslHandshake');
    if (version < 1) {
      // v0 would switch the connection to raw SASL tokens; clients that can send v1 do (see SASL_VERSIONS).
      this.#hooks.logger.warn({ peer: this.#hooks.peer }, 'SaslHandshake v0 (raw SASL tokens) is not supported; closing the connection');
      return this.#failLater({ errorCode: KafkaErrorCode.UNSUPPORTED_VERSION, mechanisms });
    }
    const name = mechanisms.find((m) => m === requested);
    if (name === undefined) {
      this.#hooks.logger.warn({ peer: this.#hooks.peer, mechanism: truncate(requested), enabled: mechanisms }, 'SASL mechanism not enabled; closing the connection');
      return this.#failLater({ errorCode: KafkaErrorCode.UNSUPPORTED_SASL_MECHANISM, mechanisms });
    }
    this.#mechanismName = name;
    this.#mechanism = name === 'PLAIN' ? new PlainServer(this.#config.credentials) : new ScramServer(name, this.#config.credentials);
    this.#state = 'authenticate';
    return { errorCode: KafkaErrorCode.NONE, mechanisms };
  }

  async #onAuthenticate(token: Buffer): Promise<SaslAuthenticateResponse> {
    if (this.#state === 'authenticated') {
      // Kafka answers a SaslAuthenticate after success (without KIP-368 re-authentication) and keeps the connection.
      return { errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'SaslAuthenticate request received after successful authentication', authBytes: EMPTY, sessionLifetimeMs: 0 };
    }
    const mechanism = this.#mechanism;
    if (this.#state !== 'authenticate' || mechanism === null) {
      return this.#illegal(
        { errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE, errorMessage: 'Unexpected SaslAuthenticate request: no SaslHandshake first, or one still in progress', authBytes: EMPTY, sessionLifetimeMs: 0 },
        'SaslAuthenticate',
      );
    }
    this.#state = 'authenticating';
    const refresh = this.#config.credentials.refresh;
    if (refresh !== undefined) {
      try {
        await refresh.call(this.#config.credentials);
      } catch (e: unknown) {
        this.#hooks.logger.error({ err: toError(e) }, 'cannot re-read the SASL credentials; the users read before stay in force');
      }
    }
    let step;
    try {
      step = await mechanism.step(token);
    } catch (e: unknown) {
      // A bug, never the client's business: log it here, answer like any other failure.
      this.#hooks.logger.error({ peer: this.#hooks.peer, mechanism: this.#mechanismName, err: toError(e) }, 'SASL mechanism failed');
      step = { kind: 'failure', reason: 'malformed', detail: 'internal error', username: null } as const;
    }
    if (this.#state !== 'authenticating') return { errorCode: KafkaErrorCode.ILLEGAL_SASL_STATE, errorMessage: null, authBytes: EMPTY, sessionLifetimeMs: 0 };
    switch (step.kind) {
      case 'challenge':
        this.#state = 'authenticate';
        return { errorCode: KafkaErrorCode.NONE, errorMessage: null, authBytes: step.bytes, sessionLifetimeMs: 0 };
      case 'success': {
        this.#state = 'authenticated';
        this.#mechanism = null;
        const principal = `User:${step.username}`;
        this.#hooks.onAuthenticated(principal);
        this.#hooks.logger.debug({ peer: this.#hooks.peer, mechanism: this.#mechanismName, principal }, 'SASL authentication succeeded');
        return { errorCode: KafkaErrorCode.NONE, errorMessage: null, authBytes: step.bytes, sessionLifetimeMs: 0 };
      }
      case 'failure': {
        this.#hooks.logger.warn(
          { peer: this.#hooks.peer, mechanism: this.#mechanismName, user: step.username === null ? null : truncate(step.username), reason: step.detail },
          'SASL authentication failed; closing the connection',
        );
        // One message for a wrong password and an unknown user (and the same shape as Kafka's).
        const errorMessage =
          step.reason === 'credentials'
            ? `Authentication failed during authentication due to invalid credentials with SASL mechanism ${this.#mechanismName}`
            : `Authentication failed: invalid SASL ${this.#mechanismName} message`;
        return this.#failLater({ errorCode: KafkaErrorCode.SASL_AUTHENTICATION_FAILED, errorMessage, authBytes: EMPTY, sessionLifetimeMs: 0 });
      }
    }
  }

  /** A request out of order: answer it at once, then close. */
  #illegal<R>(response: R, api: string): R {
    this.#hooks.logger.warn({ peer: this.#hooks.peer, api, state: this.#state }, 'SASL request out of order; closing the connection');
    this.#state = 'failed';
    this.#mechanism = null;
    this.#hooks.onFailed();
    return response;
  }

  /** Stops reading at once; the response (and so the close) comes after the failed-authentication delay. */
  #failLater<R>(response: R): Promise<R> {
    this.#state = 'failed';
    this.#mechanism = null;
    this.#hooks.onFailed();
    const delayMs = this.#config.failedAuthenticationDelayMs;
    if (delayMs <= 0) return Promise.resolve(response);
    return new Promise<R>((resolve) => this.#timers.setTimeout(() => resolve(response), delayMs));
  }
}

/** A client-given name for a log line: at most 256 characters. */
function truncate(s: string): string {
  return s.length <= 256 ? s : `${s.slice(0, 256)}...`;
}
