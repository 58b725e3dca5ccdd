/**
 * Kafka's DeleteRecords over the wire: moves each partition's log start offset (the runtime purges repartition
 * topics this way). Offset -1 means the high watermark, as in Kafka. A topic needs Delete, else its partitions answer
 * TOPIC_AUTHORIZATION_FAILED (Kafka's KafkaApis.handleDeleteRecordsRequest).
 */
import { ApiKey } from '../../protocol/api-keys.js';
import { kafkaErrorCode } from '../../protocol/error-codes.js';
import type { DeleteRecordsResponseDeleteRecordsTopicResult } from '../../protocol/messages.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import { isAuthorized } from '../security/authorizer.js';
import type { HandlerTable } from './handler.js';

/**
 * The DeleteRecords handler, to merge into the server's table.
 *
 * @example
 * ```ts
 * const table: HandlerTable = { ...dataHandlers, ...deleteRecordsHandlers };
 * ```
 */
export const deleteRecordsHandlers: HandlerTable = {
  [ApiKey.DeleteRecords]: (ctx, req) => {
    const topics: DeleteRecordsResponseDeleteRecordsTopicResult[] = req.topics.map((t) => {
      if (!isAuthorized(ctx, 'Delete', 'Topic', t.name)) {
        return { name: t.name, partitions: t.partitions.map((p) => ({ partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: KafkaErrorCode.TOPIC_AUTHORIZATION_FAILED })) };
      }
      return {
        name: t.name,
        partitions: t.partitions.map((p) => {
          try {
            const before = p.offset === -1 ? ctx.broker.partitionLog(t.name, p.partitionIndex).highWatermark : p.offset;
            return { partitionIndex: p.partitionIndex, lowWatermark: ctx.broker.deleteRecords(t.name, p.partitionIndex, before), errorCode: 0 };
          } catch (e: unknown) {
            return { partitionIndex: p.partitionIndex, lowWatermark: -1, errorCode: kafkaErrorCode(e) };
          }
        }),
      };
    });
    return { throttleTimeMs: 0, topics };
  },
};
