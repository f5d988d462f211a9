import { ApiKey } from '../../protocol/messages.ts';
import type { Handler } from '../node.ts';

/**
 * Consumer-group APIs: thin adapters from requests to the group coordinator (groups.ts), which
 * holds the classic protocol's state machine.
 */
export const groupHandlers: readonly Handler[] = [
  { apiKey: ApiKey.JoinGroup, versions: [0, 9], handle: (n, c, r) => n.groups.joinGroup(r, c.apiVersion, { clientId: c.clientId, clientHost: c.conn.clientHost }) },
  { apiKey: ApiKey.SyncGroup, versions: [0, 5], handle: (n, c, r) => n.groups.syncGroup(r, c.apiVersion) },
  { apiKey: ApiKey.Heartbeat, versions: [0, 4], handle: (n, c, r) => n.groups.heartbeat(r, c.apiVersion) },
  { apiKey: ApiKey.LeaveGroup, versions: [0, 5], handle: (n, c, r) => n.groups.leaveGroup(r, c.apiVersion) },
  { apiKey: ApiKey.DescribeGroups, versions: [0, 5], handle: (n, c, r) => n.groups.describeGroups(r, c.apiVersion) },
  { apiKey: ApiKey.ListGroups, versions: [0, 5], handle: (n, c, r) => n.groups.listGroups(r, c.apiVersion) },
  { apiKey: ApiKey.DeleteGroups, versions: [0, 2], handle: (n, c, r) => n.groups.deleteGroups(r, c.apiVersion) },
  { apiKey: ApiKey.OffsetCommit, versions: [0, 9], handle: (n, c, r) => n.groups.offsetCommit(r, c.apiVersion) },
  { apiKey: ApiKey.OffsetFetch, versions: [0, 9], handle: (n, c, r) => n.groups.offsetFetch(r, c.apiVersion) },
  { apiKey: ApiKey.OffsetDelete, versions: [0, 0], handle: (n, c, r) => n.groups.offsetDelete(r, c.apiVersion) },
];
