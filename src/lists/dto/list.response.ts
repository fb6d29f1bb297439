import { ItemResponse } from '../../items/dto/item.response';
import type { ListRole } from '../list.entity';

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
  /** @example "K7QF-2MZC" */
  inviteCode!: string;
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
