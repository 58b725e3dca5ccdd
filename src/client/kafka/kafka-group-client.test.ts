import { afterEach, describe, expect, it } from 'vitest';
import { Broker } from '../../broker/broker.js';
import { handleFindCoordinator } from '../../broker/server/coordinator-handlers.js';
import { handleHeartbeat, handleJoinGroup } from '../../broker/server/group-handlers.js';
import { KafkaServer, type KafkaServerOptions } from '../../broker/server/kafka-server.js';
import type { JoinGroupRequest } from '../../broker/group-coordinator.js';
import { ApiKey } from '../../protocol/api-keys.js';
import { KafkaErrorCode } from '../../protocol/error-codes.js';
import { silentLogger } from '../../util/logger.js';
import { decodeAssignment, encodeAssignment, encodeSubscription } from '../consumer-protocol.js';
import { KafkaCluster } from './cluster.js';
import { KafkaGroupCoordinatorClient } from './kafka-group-client.js';

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

async function start(serverOptions: KafkaServerOptions = {}): Promise<{ broker: Broker; groups: KafkaGroupCoordinatorClient; newClient(): KafkaGroupCoordinatorClient }> {
  const broker = await Broker.open({ logger: silentLogger(), maintenanceIntervalMs: 0, groupInitialRebalanceDelayMs: 0, groupMinSessionTimeoutMs: 100 });
  cleanups.push(() => broker.close());
  const server = await KafkaServer.listen(broker, { port: 0, logger: silentLogger(), ...serverOptions });
  cleanups.push(() => server.close());
  const newClient = (): KafkaGroupCoordinatorClient => {
    const cluster = new KafkaCluster({ bootstrapServers: [`127.0.0.1:${server.address.port}`], logger: silentLogger(), retryBackoffMs: 5 });
    const groups = new KafkaGroupCoordinatorClient(cluster);
    cleanups.push(() => cluster.close());
    cleanups.push(() => groups.close());
    return groups;
  };
  return { broker, groups: newClient(), newClient };
}

const metadata = encodeSubscription({ topics: ['t'] });

function joinRequest(memberId = ''): JoinGroupRequest {
  return {
    groupId: 'g',
    memberId,
    clientId: 'c',
    sessionTimeoutMs: 5_000,
    rebalanceTimeoutMs: 5_000,
    protocolType: 'consumer',
    protocols: [{ name: 'range', metadata }],
  };
}

describe('KafkaGroupCoordinatorClient', () => {
  it('joins, syncs, heartbeats and leaves; errors come back as the in-process coordinator throws them', async () => {
    const { groups } = await start();
    const join = await groups.joinGroup(joinRequest());
    expect(join.memberId).not.toBe('');
    expect(join.leaderId).toBe(join.memberId);
    expect(join.protocolName).toBe('range');
    expect(join.generationId).toBeGreaterThanOrEqual(1);
    expect(join.members.map((m) => [m.memberId, Buffer.from(m.metadata).equals(Buffer.from(metadata))])).toEqual([[join.memberId, true]]);

    const assignment = encodeAssignment({ assignedPartitions: [{ topic: 't', partition: 0 }] });
    const sync = await groups.syncGroup({ groupId: 'g', memberId: join.memberId, generationId: join.generationId, assignments: [{ memberId: join.memberId, assignment }] });
    expect(decodeAssignment(sync.assignment).assignedPartitions).toEqual([{ topic: 't', partition: 0 }]);

    await groups.heartbeat({ groupId: 'g', memberId: join.memberId, generationId: join.generationId });
    await expect(groups.heartbeat({ groupId: 'g', memberId: join.memberId, generationId: join.generationId + 5 })).rejects.toMatchObject({ code: 'ILLEGAL_GENERATION' });
    await expect(groups.heartbeat({ groupId: 'g', memberId: 'nobody', generationId: join.generationId })).rejects.toMatchObject({ code: 'UNKNOWN_MEMBER_ID' });
    await groups.leaveGroup({ groupId: 'g', memberId: join.memberId });
    await expect(groups.heartbeat({ groupId: 'g', memberId: join.memberId, generationId: join.generationId })).rejects.toMatchObject({ code: 'UNKNOWN_MEMBER_ID' });
  });

  it('tells a member of a rebalance by REBALANCE_IN_PROGRESS; its rejoin completes the parked join of the other', async () => {
    const { groups, newClient } = await start();
    const first = await groups.joinGroup(joinRequest());
    await groups.syncGroup({ groupId: 'g', memberId: first.memberId, generationId: first.generationId, assignments: [] });
    const other = newClient();
    const secondJoin = other.joinGroup(joinRequest());
    let heartbeat: unknown = null;
    for (let i = 0; i < 50 && heartbeat === null; i++) {
      heartbeat = await groups.heartbeat({ groupId: 'g', memberId: first.memberId, generationId: first.generationId }).then(
        () => null,
        (e: unknown) => e,
      );
    }
    expect(heartbeat).toMatchObject({ code: 'REBALANCE_IN_PROGRESS', retriable: true });
    const rejoin = await groups.joinGroup(joinRequest(first.memberId));
    const second = await secondJoin;
    expect(rejoin.generationId).toBe(first.generationId + 1);
    expect(second.generationId).toBe(rejoin.generationId);
    expect(new Set([rejoin.leaderId, second.leaderId]).size).toBe(1);
    const leader = rejoin.leaderId === rejoin.memberId ? rejoin : second;
    expect(leader.members.map((m) => m.memberId).sort()).toEqual([first.memberId, second.memberId].sort());
  });

  it('commits and fetches offsets; a stale generation or an unknown partition is refused', async () => {
    const { broker, groups } = await start();
    await broker.createTopic('t', 2);
    await groups.commitOffsets({ groupId: 'solo', generationId: -1, offsets: [{ topic: 't', partition: 1, offset: 7, metadata: 'm' }] });
    expect(await groups.fetchOffsets('solo', [{ topic: 't', partition: 0 }, { topic: 't', partition: 1 }])).toEqual([
      { topic: 't', partition: 0, offset: -1, metadata: '', isUnstable: false },
      { topic: 't', partition: 1, offset: 7, metadata: 'm', isUnstable: false },
    ]);
    await expect(groups.commitOffsets({ groupId: 'solo', generationId: -1, offsets: [{ topic: 't', partition: 5, offset: 1 }] })).rejects.toMatchObject({
      code: 'UNKNOWN_TOPIC_OR_PARTITION',
    });

    const join = await groups.joinGroup(joinRequest());
    await groups.syncGroup({ groupId: 'g', memberId: join.memberId, generationId: join.generationId, assignments: [] });
    await groups.commitOffsets({ groupId: 'g', memberId: join.memberId, generationId: join.generationId, offsets: [{ topic: 't', partition: 0, offset: 3 }] });
    await expect(
      groups.commitOffsets({ groupId: 'g', memberId: join.memberId, generationId: join.generationId - 1, offsets: [{ topic: 't', partition: 0, offset: 4 }] }),
    ).rejects.toMatchObject({ code: 'ILLEGAL_GENERATION' });
    expect((await groups.fetchOffsets('g', [{ topic: 't', partition: 0 }]))[0]!.offset).toBe(3);
  });

  it('looks the coordinator up again after NOT_COORDINATOR and retries', async () => {
    let lookups = 0;
    let refusals = 2;
    const { groups } = await start({
      extraHandlers: {
        [ApiKey.FindCoordinator]: (ctx, req) => {
          lookups++;
          return handleFindCoordinator(ctx, req);
        },
        [ApiKey.Heartbeat]: (ctx, req) => (refusals-- > 0 ? { throttleTimeMs: 0, errorCode: KafkaErrorCode.NOT_COORDINATOR } : handleHeartbeat(ctx, req)),
      },
    });
    const join = await groups.joinGroup(joinRequest());
    await groups.syncGroup({ groupId: 'g', memberId: join.memberId, generationId: join.generationId, assignments: [] });
    const before = lookups;
    // A heartbeat is tried twice: the first call meets two refusals and gives up, the second one and succeeds.
    await expect(groups.heartbeat({ groupId: 'g', memberId: join.memberId, generationId: join.generationId })).rejects.toMatchObject({ code: 'NOT_COORDINATOR' });
    refusals = 1;
    await groups.heartbeat({ groupId: 'g', memberId: join.memberId, generationId: join.generationId });
    expect(lookups - before).toBe(3);
  });

  it('joins again with the member id a MEMBER_ID_REQUIRED answer hands out (KIP-394)', async () => {
    const seen: string[] = [];
    const { groups } = await start({
      extraHandlers: {
        [ApiKey.JoinGroup]: (ctx, req) => {
          seen.push(req.memberId ?? '');
          if (req.memberId === '') {
            return { throttleTimeMs: 0, errorCode: KafkaErrorCode.MEMBER_ID_REQUIRED, generationId: -1, protocolName: '', leader: '', memberId: 'handed-out', members: [] };
          }
          return handleJoinGroup(ctx, { ...req, memberId: '' });
        },
      },
    });
    const join = await groups.joinGroup(joinRequest());
    expect(seen).toEqual(['', 'handed-out']);
    expect(join.generationId).toBeGreaterThanOrEqual(1);
  });
});
