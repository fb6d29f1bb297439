/**
 * What main.ts and the views share: the state, the outbox, the network banner and the open
 * list's reload. Views import it from here; main.ts (routing, the live list) sits above both.
 */
import { api, NetworkError } from './api.js';
import { byId, toast } from './dom.js';
import type { LiveList } from './live.js';
import { Outbox } from './outbox.js';
import type { Item, List, Presence, Store, User } from './types.js';

export interface OpenList {
  list: List;
  live: LiveList;
  presence: Presence | null;
  /** itemId → who is checking it and until when (ms). */
  checking: Map<string, { userId: string; until: number }>;
  stores: Store[] | null;
  storeId: string | null;
}

/** What the open list's page (views/list-page.ts) redraws when its list changes. */
export interface Page {
  renderHead(): void;
  renderItems(): void;
  renderStores(): void;
  refreshTrips(): void;
}

export const state: {
  user: User | null;
  offline: boolean;
  open: OpenList | null;
  page: Page | null;
} = { user: null, offline: !navigator.onLine, open: null, page: null };

export const outbox = new Outbox({
  done: (_operation, item) => {
    upsertItem(item);
    setOffline(false);
  },
  refused: (operation, error) => {
    if (operation.kind === 'add') toast(`"${operation.item.name}" was not added: ${error.message}`);
    else toast(`A check was not saved: ${error.message}`);
    if (state.open?.list.id === operation.listId) void reloadList();
  },
  changed: () => {
    renderNetwork();
    state.page?.renderItems();
  },
});

// ---- network ----

export function setOffline(offline: boolean): void {
  if (state.offline === offline) return;
  state.offline = offline;
  renderNetwork();
}

export function renderNetwork(): void {
  const banner = byId('network');
  const waiting = outbox.pending().length;
  const changes = `${waiting} change${waiting === 1 ? '' : 's'}`;
  if (state.offline) {
    banner.textContent =
      `You are offline. Adds and checks are kept on this device` +
      (waiting ? ` (${changes} waiting)` : '') +
      ' and sent when the connection returns.';
    banner.className = 'banner offline';
    banner.hidden = false;
  } else if (waiting) {
    banner.textContent = `Sending ${changes}…`;
    banner.className = 'banner sending';
    banner.hidden = false;
  } else {
    banner.hidden = true;
    banner.textContent = '';
  }
}

/** Whatever is queued goes out now (if we think we are online). */
export function flushOutbox(): void {
  if (state.offline) return;
  void outbox.flush().then(() => {
    if (outbox.pending().length) setOffline(!navigator.onLine);
  });
}

// ---- the open list ----

export function upsertItem(item: Item): void {
  const open = state.open;
  if (!open || item.listId !== open.list.id) return;
  const index = open.list.items.findIndex((existing) => existing.id === item.id);
  if (index === -1) open.list.items.push(item);
  else open.list.items[index] = item;
  state.page?.renderItems();
}

export async function reloadList(): Promise<void> {
  const open = state.open;
  if (!open) return;
  try {
    const list = await api<List>('GET', `/lists/${open.list.id}`);
    if (state.open !== open) return;
    open.list = list;
    open.live.resetSeq(list.seq);
    state.page?.renderHead();
    state.page?.renderItems();
  } catch (error) {
    if (error instanceof NetworkError) setOffline(true);
  }
}
