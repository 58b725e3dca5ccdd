/**
 * The client's side of Kafka's SASL exchange (what tributary's Kafka client runs right after ApiVersions):
 * SaslHandshake v1 names the mechanism, then SaslAuthenticate requests carry the mechanism's tokens.
 */
import { StreamsError } from '../../errors.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { KafkaErrorCode, kafkaErrorName } from '../../protocol/error-codes.js';
import type { RequestBodies, ResponseBodies } from '../../protocol/messages.js';
import { SASL_VERSIONS } from './sasl-mechanism.js';
import { plainClientMessage } from './sasl-plain.js';
import { ScramClient } from './scram-client.js';

/**
 * SASL credentials of a client (Kafka's `sasl.mechanism` and `sasl.jaas.config`), in kafkajs's shape.
 *
 * @example
 * ```ts
 * const sasl: KafkaSaslOptions = { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' };
 * ```
 */
export interface KafkaSaslOptions {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512';
  readonly username: string;
  readonly password: string;
}

type SaslApiKey = typeof ApiKey.SaslHandshake | typeof ApiKey.SaslAuthenticate;

/**
 * What {@link saslAuthenticate} needs from a connection: the broker's advertised versions and one request at a time.
 *
 * @example
 * ```ts
 * const transport: SaslTransport = { address, brokerVersions: (k) => conn.brokerVersions(k), request: (k, v, body) => sendAt(k, v, body) };
 * ```
 */
export interface SaslTransport {
  /** `host:port`, for messages. */
  readonly address: string;
  brokerVersions(apiKey: number): readonly [number, number] | undefined;
  request<K extends SaslApiKey>(apiKey: K, version: number, body: RequestBodies[K]): Promise<ResponseBodies[K]>;
}

/**
 * Authenticates a connection whose ApiVersions exchange is done. Every refusal is a StreamsError AUTHENTICATION_FAILED
 * (not retriable): the broker offers no SASL on this port, does not enable the mechanism, refuses the credentials
 * (with the broker's message), or, for SCRAM, cannot prove that it knows them.
 *
 * @example
 * ```ts
 * await saslAuthenticate(transport, { mechanism: 'scram-sha-512', username: 'alice', password: 'alice-secret' });
 * ```
 */
export async function saslAuthenticate(transport: SaslTransport, sasl: KafkaSaslOptions): Promise<void> {
  const mechanism = sasl.mechanism.toUpperCase();
  if (mechanism !== 'PLAIN' && mechanism !== 'SCRAM-SHA-256' && mechanism !== 'SCRAM-SHA-512') {
    throw new StreamsError('INVALID_CONFIG', `unknown SASL mechanism '${sasl.mechanism}' (plain, scram-sha-256 or scram-sha-512)`);
  }
  const handshakeVersion = saslVersion(transport, ApiKey.SaslHandshake);
  const authenticateVersion = saslVersion(transport, ApiKey.SaslAuthenticate);
  const handshake = await transport.request(ApiKey.SaslHandshake, handshakeVersion, { mechanism });
  if (handshake.errorCode !== KafkaErrorCode.NONE) {
    throw new StreamsError('AUTHENTICATION_FAILED',
      `SASL handshake with ${transport.address} failed: ${kafkaErrorName(handshake.errorCode)} (the broker enables ${handshake.mechanisms.join(', ') || 'no mechanism'})`,
    );
  }
  const exchange = async (authBytes: Buffer): Promise<Buffer> => {
    const body = await transport.request(ApiKey.SaslAuthenticate, authenticateVersion, { authBytes });
    if (body.errorCode !== KafkaErrorCode.NONE) {
      throw new StreamsError('AUTHENTICATION_FAILED', `SASL ${mechanism} authentication with ${transport.address} failed: ${body.errorMessage ?? kafkaErrorName(body.errorCode)}`);
    }
    return body.authBytes;
  };
  if (mechanism === 'PLAIN') {
    await exchange(plainClientMessage(sasl.username, sasl.password));
    return;
  }
  const scram = new ScramClient(mechanism, sasl.username, sasl.password);
  const serverFirst = await exchange(scram.first());
  scram.verify(await exchange(await scram.final(serverFirst)));
}

/** The version of a SASL API: the broker must list it (as it does on a SASL listener) within our range. */
function saslVersion(transport: SaslTransport, apiKey: SaslApiKey): number {
  const advertised = SASL_VERSIONS.get(apiKey)!;
  // SaslHandshake v0 would mean raw tokens after it: the client always sends v1 (Kafka 1.0+ brokers have it).
  const ours = apiKey === ApiKey.SaslHandshake ? ([1, advertised[1]] as const) : advertised;
  const theirs = transport.brokerVersions(apiKey);
  const version = theirs === undefined ? -1 : Math.min(ours[1], theirs[1]);
  if (theirs === undefined || version < ours[0] || version < theirs[0]) {
    throw new StreamsError('AUTHENTICATION_FAILED', `broker ${transport.address} does not offer SASL (api key ${apiKey}); is this its SASL listener?`);
  }
  return version;
}
