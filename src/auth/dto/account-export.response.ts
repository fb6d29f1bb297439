import { ItemResponse } from '../../items/dto/item.response';
import type { ListRole } from '../../access/list-role';
import type { ListView } from '../../lists/lists.repository';
import { MemberResponse } from '../../lists/dto/list.response';
import { StoreResponse } from '../../stores/dto/store.response';
import { SuggestionResponse } from '../../suggestions/dto/suggestion.response';
import { TripResponse } from '../../trips/dto/trip.response';
import { UserEntity } from '../../users/user.entity';
import { SessionResponse } from './auth.response';

/** The account itself: never its password hash or any other secret. */
export class ExportedProfile {
  id!: string;
  email!: string;
  name!: string;
  createdAt!: string;
  /** When the account was brought over from the old server (`npm run import:legacy`); null when created here. */
  importedAt!: string | null;
}

/** A list the user is a member of, with everything its members see. */
export class ExportedList {
  id!: string;
  name!: string;
  /** The user's role on it. @example "owner" */
  role!: ListRole;
  createdAt!: string;
  /** In the order they joined. */
  members!: MemberResponse[];
  /** As `GET /lists/:id` gives them (in the order they were added). */
  items!: ItemResponse[];
  /** Each store with every product it has learned (`learnedOrder`). */
  stores!: StoreResponse[];
  /**
   * The whole trip history, newest first, each trip with its bought items. A receipt is a link
   * (`receiptUrl`, signed, valid RECEIPT_URL_TTL like the trips endpoints' links), never the file.
   */
  trips!: TripResponse[];
  suggestions!: SuggestionResponse[];
}

/** `GET /auth/me/export`: everything the user can see and owns, as one JSON download. */
export class AccountExportResponse {
  /** @example "2026-12-04T03:46:46.000Z" */
  exportedAt!: string;
  profile!: ExportedProfile;
  /** The live sessions (devices), newest first; no token of any kind. */
  sessions!: SessionResponse[];
  /** In the order the user joined them. */
  lists!: ExportedList[];
}

/** The export as it is downloaded: its file name (`cartsync-export-<date>.json`) and its JSON text. */
export interface AccountExport {
  fileName: string;
  json: string;
}

export function toExportedProfile(user: UserEntity): ExportedProfile {
  return {
    id: user.id,
    email: user.email,
    name: user.name,
    createdAt: user.createdAt.toISOString(),
    importedAt: user.legacyImportedAt?.toISOString() ?? null,
  };
}

/** The parts of one list read one after another; `trips` are JSON texts of consecutive pages (arrays). */
export interface ExportedListParts {
  view: ListView & { role: ListRole };
  stores: StoreResponse[];
  tripPages: string[];
  suggestions: SuggestionResponse[];
}

/**
 * One list as an `ExportedList`'s JSON text, in its fields' order: the members' and items'
 * arrays spliced in as PostgreSQL wrote them (`ListsRepository.viewFor`), the trips' pages
 * joined without being parsed again.
 */
export function exportedListJson({ view, stores, tripPages, suggestions }: ExportedListParts): string {
  const { list } = view;
  const head = JSON.stringify({
    id: list.id,
    name: list.name,
    role: view.role,
    createdAt: list.createdAt.toISOString(),
  });
  const trips = tripPages.map((page) => page.slice(1, -1)).filter((page) => page !== '');
  return (
    `${head.slice(0, -1)},"members":${view.membersJson},"items":${view.itemsJson},` +
    `"stores":${JSON.stringify(stores)},"trips":[${trips.join(',')}],"suggestions":${JSON.stringify(suggestions)}}`
  );
}

/** The whole export's JSON text: its head, then the lists' texts (`exportedListJson`) spliced in. */
export function accountExportJson(head: Omit<AccountExportResponse, 'lists'>, lists: string[]): string {
  return `${JSON.stringify(head).slice(0, -1)},"lists":[${lists.join(',')}]}`;
}

/** `cartsync-export-<YYYY-MM-DD>.json`, the day (UTC) of the export. */
export function exportFileName(now: Date): string {
  return `cartsync-export-${now.toISOString().slice(0, 10)}.json`;
}
