import type { Logger } from 'pino';
import { StreamsError } from '../src/errors.js';

/** What to do with a record that failed: stop the app ('fail') or log it and go on ('continue'). */
export type HandlerResponse = 'fail' | 'continue';

/** Where a failing record came from. */
export interface FailedRecordContext {
  readonly topic: string | null;
  readonly partition: number;
  readonly offset: number;
  readonly taskId: string;
  /** The processor node that threw (processing errors only). */
  readonly nodeName?: string;
}

/**
 * Decides for a record whose key or value cannot be deserialized (Kafka's DeserializationExceptionHandler):
 * 'fail' (default), 'continue' (log and skip), or a function choosing per record.
 *
 * @example
 * ```ts
 * new KafkaStreams(topology, { applicationId: 'app', deserializationExceptionHandler: 'continue' });
 * ```
 */
export type DeserializationHandler = HandlerResponse | ((error: Error, context: FailedRecordContext & { key: Uint8Array | null; value: Uint8Array | null }) => HandlerResponse);

/**
 * Decides for a record whose processing threw (Kafka's ProcessingExceptionHandler): 'fail' (default), 'continue',
 * or a function. 'continue' skips exactly that record (what its processors forwarded before throwing stays sent).
 *
 * @example
 * ```ts
 * new KafkaStreams(topology, { applicationId: 'app', processingExceptionHandler: (e, ctx) => (ctx.nodeName === 'parse' ? 'continue' : 'fail') });
 * ```
 */
export type ProcessingHandler = HandlerResponse | ((error: Error, context: FailedRecordContext) => HandlerResponse);

/**
 * Decides for an output record the log refused (too large, unknown partition) (Kafka's ProductionExceptionHandler).
 *
 * @example
 * ```ts
 * new KafkaStreams(topology, { applicationId: 'app', productionExceptionHandler: 'continue' });
 * ```
 */
export type ProductionHandler = HandlerResponse | ((error: Error, context: { topic: string; partition: number | undefined }) => HandlerResponse);

/** Applies a handler: returns normally for 'continue' (after logging), throws a StreamsError naming the record for 'fail'. */
export function handleFailure<C>(
  handler: HandlerResponse | ((error: Error, context: C) => HandlerResponse),
  error: Error,
  context: C & { topic: string | null; partition?: number | undefined; offset?: number },
  kind: 'deserialization' | 'processing' | 'production',
  logger: Logger,
): void {
  let response: HandlerResponse;
  try {
    response = typeof handler === 'function' ? handler(error, context) : handler;
  } catch (e: unknown) {
    response = 'fail';
    logger.error({ err: e }, `the ${kind} exception handler threw; failing`);
  }
  const where = `${context.topic ?? '(punctuation)'}-${context.partition ?? '?'}${context.offset !== undefined && context.offset >= 0 ? `@${context.offset}` : ''}`;
  if (response === 'continue') {
    logger.warn({ err: error, topic: context.topic, partition: context.partition, offset: context.offset }, `${kind} failed for record ${where}; skipped (handler: continue)`);
    return;
  }
  throw new StreamsError(
    kind === 'deserialization' ? 'SERDE_FAILED' : kind === 'processing' ? 'PROCESSING_FAILED' : 'PRODUCTION_FAILED',
    `${kind} failed for record ${where}: ${error.message}`,
    {
      cause: error,
      ...(context.topic === null ? {} : { topic: context.topic }),
      ...(context.partition === undefined ? {} : { partition: context.partition }),
      ...(context.offset === undefined || context.offset < 0 ? {} : { offset: context.offset }),
    },
  );
}
