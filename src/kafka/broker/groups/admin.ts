/** DescribeGroups, ListGroups and DeleteGroups: what admin tools see of the groups. */
import { COORDINATOR_NOT_AVAILABLE, GROUP_ID_NOT_FOUND, NON_EMPTY_GROUP, NONE } from './errors.ts';
import type { GroupContext } from './context.ts';
import { EMPTY_BYTES, type Group } from './model.ts';
import type { Rebalancer } from './rebalance.ts';

/** The operations a group supports (READ 3, DELETE 6, DESCRIBE 8), as an ACL operation bitfield. */
export const GROUP_AUTHORIZED_OPERATIONS = (1 << 3) | (1 << 6) | (1 << 8);

/** Kafka's "not requested" value for authorizedOperations. */
const OPERATIONS_NOT_REQUESTED = -2147483648;

/** The groupType of every group this coordinator runs (ListGroups v5). */
export const CLASSIC_GROUP_TYPE = 'classic';

/** One group of a DescribeGroups answer. */
export interface DescribedGroup {
  errorCode: number;
  groupId: string;
  groupState: string;
  protocolType: string;
  protocolData: string;
  members: {
    memberId: string;
    groupInstanceId: string | null;
    clientId: string;
    clientHost: string;
    memberMetadata: Buffer;
    memberAssignment: Buffer;
  }[];
  authorizedOperations: number;
}

/** One group of a ListGroups answer. */
export interface ListedGroup {
  groupId: string;
  protocolType: string;
  groupState: string;
  groupType: string;
}

/**
 * A group's summary. As in Kafka, the protocol and the members' metadata and assignments are
 * shown only when the group is Stable; an unknown group is reported Dead without an error.
 */
export function describeGroup(ctx: GroupContext, groupId: string, includeOperations: boolean): DescribedGroup {
  const authorizedOperations = includeOperations ? GROUP_AUTHORIZED_OPERATIONS : OPERATIONS_NOT_REQUESTED;
  const base = { groupId, protocolType: '', protocolData: '', members: [], authorizedOperations };
  if (!ctx.active) return { ...base, errorCode: COORDINATOR_NOT_AVAILABLE, groupState: '' };
  const group = ctx.groups.get(groupId);
  if (group === undefined) return { ...base, errorCode: NONE, groupState: 'Dead' };
  const stable = group.state === 'Stable';
  return {
    errorCode: NONE,
    groupId,
    groupState: group.state,
    protocolType: group.protocolType ?? '',
    protocolData: stable ? group.protocolName ?? '' : '',
    members: [...group.members.values()].map((m) => ({
      memberId: m.memberId,
      groupInstanceId: m.groupInstanceId,
      clientId: m.clientId,
      clientHost: m.clientHost,
      memberMetadata: stable ? m.metadataFor(group.protocolName) : EMPTY_BYTES,
      memberAssignment: stable ? m.assignment : EMPTY_BYTES,
    })),
    authorizedOperations,
  };
}

/** Every group, optionally only those in the given states (v4+) or of the given types (v5+). */
export function listGroups(ctx: GroupContext, statesFilter: readonly string[], typesFilter: readonly string[]): { errorCode: number; groups: ListedGroup[] } {
  if (!ctx.active) return { errorCode: COORDINATOR_NOT_AVAILABLE, groups: [] };
  const states = new Set(statesFilter.map((s) => s.toLowerCase()));
  const types = new Set(typesFilter.map((s) => s.toLowerCase()));
  if (types.size > 0 && !types.has(CLASSIC_GROUP_TYPE)) return { errorCode: NONE, groups: [] };
  const groups: ListedGroup[] = [];
  for (const g of ctx.groups.values()) {
    if (states.size > 0 && !states.has(g.state.toLowerCase())) continue;
    groups.push({ groupId: g.groupId, protocolType: g.protocolType ?? '', groupState: g.state, groupType: CLASSIC_GROUP_TYPE });
  }
  return { errorCode: NONE, groups };
}

/** Deletes an Empty group and its offsets; a group with members is refused (NON_EMPTY_GROUP). */
export function deleteGroup(ctx: GroupContext, rebalancer: Rebalancer, groupId: string): number {
  if (!ctx.active) return COORDINATOR_NOT_AVAILABLE;
  const group: Group | undefined = ctx.groups.get(groupId);
  if (group === undefined || group.state === 'Dead') return GROUP_ID_NOT_FOUND;
  if (group.state !== 'Empty') return NON_EMPTY_GROUP;
  group.state = 'Dead';
  rebalancer.shutdownGroup(group);
  ctx.groups.delete(groupId);
  for (const o of group.offsets.values()) ctx.opts.onOffsetDelete({ groupId, topic: o.topic, partition: o.partition });
  group.offsets.clear();
  return NONE;
}
