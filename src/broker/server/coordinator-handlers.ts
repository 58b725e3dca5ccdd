/**
 * The handler table of tributary's coordinators on the Kafka wire protocol: FindCoordinator (here), consumer groups
 * and committed offsets (group-handlers.ts), producer ids and transactions (txn-handlers.ts). This node coordinates
 * every group and every transactional id, so FindCoordinator always names it.
 */
import { ApiKey } from '../../protocol/api-keys.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import { isAuthorized } from '../security/authorizer.js';
import {
  handleDescribeGroups,
  handleHeartbeat,
  handleJoinGroup,
  handleLeaveGroup,
  handleListGroups,
  handleOffsetCommit,
  handleOffsetFetch,
  handleSyncGroup,
} from './group-handlers.js';
import type { ApiHandler, HandlerTable } from './handler.js';
import { handleAddOffsetsToTxn, handleAddPartitionsToTxn, handleEndTxn, handleInitProducerId, handleTxnOffsetCommit } from './txn-handlers.js';

/**
 * FindCoordinator (v0-2): this node coordinates every group (key type 0) and transaction (key type 1); another key
 * type is INVALID_REQUEST, a closed broker COORDINATOR_NOT_AVAILABLE. As Kafka's KafkaApis.getCoordinator, a group key
 * needs Describe on the group (else GROUP_AUTHORIZATION_FAILED), a transactional id Describe on it (else
 * TRANSACTIONAL_ID_AUTHORIZATION_FAILED).
 *
 * @example
 * ```ts
 * handleFindCoordinator(ctx, { key: 'app', keyType: 0 }); // { errorCode: 0, nodeId: 0, host: '127.0.0.1', port: 9092 }
 * ```
 */
export const handleFindCoordinator: ApiHandler<typeof ApiKey.FindCoordinator> = (ctx, req) => {
  const keyType = req.keyType ?? 0;
  let errorCode: number = KafkaErrorCode.NONE;
  if (keyType !== 0 && keyType !== 1) errorCode = KafkaErrorCode.INVALID_REQUEST;
  else if (keyType === 0 && !isAuthorized(ctx, 'Describe', 'Group', req.key)) errorCode = KafkaErrorCode.GROUP_AUTHORIZATION_FAILED;
  else if (keyType === 1 && !isAuthorized(ctx, 'Describe', 'TransactionalId', req.key)) errorCode = KafkaErrorCode.TRANSACTIONAL_ID_AUTHORIZATION_FAILED;
  else if (ctx.broker.isClosed) errorCode = KafkaErrorCode.COORDINATOR_NOT_AVAILABLE;
  if (errorCode !== KafkaErrorCode.NONE) return { throttleTimeMs: 0, errorCode, errorMessage: null, nodeId: -1, host: '', port: -1 };
  return { throttleTimeMs: 0, errorCode, errorMessage: null, nodeId: ctx.nodeId, host: ctx.advertisedHost, port: ctx.advertisedPort };
};

/**
 * Handlers for FindCoordinator, JoinGroup, SyncGroup, Heartbeat, LeaveGroup, OffsetCommit, OffsetFetch,
 * DescribeGroups, ListGroups, InitProducerId, AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit and EndTxn, over
 * `broker.groups`, `broker.transactions` and `broker.allocateProducerId()`. Every error becomes an error code in the
 * response (per partition, per member or per request, as each API has them); none closes the connection. JoinGroup
 * and SyncGroup are long polls that answer NOT_COORDINATOR when `ctx.signal` aborts.
 *
 * @example
 * ```ts
 * const handlers: HandlerTable = { ...dataHandlers, ...coordinatorHandlers };
 * ```
 */
export const coordinatorHandlers: HandlerTable = {
  [ApiKey.FindCoordinator]: handleFindCoordinator,
  [ApiKey.JoinGroup]: handleJoinGroup,
  [ApiKey.SyncGroup]: handleSyncGroup,
  [ApiKey.Heartbeat]: handleHeartbeat,
  [ApiKey.LeaveGroup]: handleLeaveGroup,
  [ApiKey.OffsetCommit]: handleOffsetCommit,
  [ApiKey.OffsetFetch]: handleOffsetFetch,
  [ApiKey.DescribeGroups]: handleDescribeGroups,
  [ApiKey.ListGroups]: handleListGroups,
  [ApiKey.InitProducerId]: handleInitProducerId,
  [ApiKey.AddPartitionsToTxn]: handleAddPartitionsToTxn,
  [ApiKey.AddOffsetsToTxn]: handleAddOffsetsToTxn,
  [ApiKey.TxnOffsetCommit]: handleTxnOffsetCommit,
  [ApiKey.EndTxn]: handleEndTxn,
};
