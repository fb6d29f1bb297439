import type { ListRole } from '../../access/list-role';
import { ItemEntity } from '../../items/item.entity';
import { ItemResponse, toItemResponse } from '../../items/dto/item.response';
import { ListEntity } from '../list.entity';
import type { ListSummaryRow, ListView, MemberRow } from '../lists.repository';

export class MemberResponse {
  id!: string;
  name!: string;
  email!: string;
  /** @example "owner" */
  role!: ListRole;
}

export class ListResponse {
  id!: string;
  /** @example "Ana's List" */
  name!: string;
  /** What a partner types in the app's join field. @example "A4F-92K" */
  inviteCode!: string;
  /** When the code stops working; a member's next read of the list after that shows a new one. */
  inviteCodeExpiresAt!: string;
  members!: MemberResponse[];
  items!: ItemResponse[];
  createdAt!: string;
  /** The caller's role on this list. */
  role!: ListRole;
  /** The list's event counter: the last change's sequence number. */
  seq!: number;
  /** Increases when the list itself (its name) changes. */
  version!: number;
}

export class ListSummaryResponse {
  id!: string;
  name!: string;
  role!: ListRole;
  inviteCode!: string;
  memberCount!: number;
  itemCount!: number;
  uncheckedCount!: number;
  createdAt!: string;
  seq!: number;
}

/** `list:updated` carries the fields of the list that changed. */
export interface ListUpdatedPayload {
  id: string;
  name?: string;
  version?: number;
  /** In the event log: sealed (InviteCodes.sealForLog); in clear in the frame sent. */
  inviteCode?: string;
  members?: MemberResponse[];
}

declare module '../../realtime/list-events' {
  interface ListEventPayloads {
    'list:updated': ListUpdatedPayload;
  }
}

export function toMemberResponse(member: MemberRow): MemberResponse {
  return { id: member.id, name: member.name, email: member.email, role: member.role };
}

export function toListResponse(
  list: ListEntity,
  members: MemberRow[],
  items: ItemEntity[],
  role: ListRole,
): ListResponse {
  return {
    id: list.id,
    name: list.name,
    inviteCode: list.inviteCode,
    inviteCodeExpiresAt: list.inviteExpiresAt.toISOString(),
    members: members.map(toMemberResponse),
    items: items.map(toItemResponse),
    createdAt: list.createdAt.toISOString(),
    role,
    seq: Number(list.seq),
    version: list.version,
  };
}

/**
 * A list read by `ListsRepository.viewFor` as a `ListResponse`'s JSON text, its fields in
 * `toListResponse`'s order: the members' and items' arrays spliced in as PostgreSQL wrote them
 * (parsing and writing them again was a tenth of the server's CPU per `GET /lists/:id`), or
 * `items` written here when they were reordered (a store's walking order).
 */
export function listViewJson(view: ListView, items?: ItemResponse[]): string {
  const { list } = view;
  const head = JSON.stringify({
    id: list.id,
    name: list.name,
    inviteCode: list.inviteCode,
    inviteCodeExpiresAt: list.inviteExpiresAt.toISOString(),
  });
  const tail = JSON.stringify({
    createdAt: list.createdAt.toISOString(),
    role: view.role,
    seq: Number(list.seq),
    version: list.version,
  });
  const itemsJson = items ? JSON.stringify(items) : view.itemsJson;
  return `${head.slice(0, -1)},"members":${view.membersJson},"items":${itemsJson},${tail.slice(1)}`;
}

export function toListSummaryResponse(row: ListSummaryRow): ListSummaryResponse {
  return { ...row, createdAt: row.createdAt.toISOString(), seq: Number(row.seq) };
}
