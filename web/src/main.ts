/** The CartSync web client: routes (#/lists, #/lists/:id, #/lists/:id/shop), state and the live list. */
import { api, describe, NetworkError, onUnauthorized, session } from './api.js';
import { byId, h, replaceChildren, toast } from './dom.js';
import { LiveList } from './live.js';
import { Outbox } from './outbox.js';
import { renderAuth } from './views/auth.js';
import { renderLists } from './views/lists.js';
import { ListPage } from './views/list-page.js';
import type { Frame, Item, List, Presence, Store, User } from './types.js';

/** How long an item a partner is checking stays lit up. */
const CHECKING_MS = 3000;

export interface OpenList {
  list: List;
  live: LiveList;
  presence: Presence | null;
  /** itemId → who is checking it and until when (ms). */
  checking: Map<string, { userId: string; until: number }>;
  stores: Store[] | null;
  storeId: string | null;
}

export const state: {
  user: User | null;
  offline: boolean;
  open: OpenList | null;
  page: ListPage | null;
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

onUnauthorized(() => signOut(false));

// ---- network ----

export function setOffline(offline: boolean): void {
  if (state.offline === offline) return;
  state.offline = offline;
  renderNetwork();
}

function renderNetwork(): void {
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

window.addEventListener('offline', () => {
  setOffline(true);
  state.open?.live.stop();
});
window.addEventListener('online', () => {
  setOffline(false);
  flushOutbox();
  state.open?.live.start();
});
// A 5xx or a lost answer leaves operations queued: they are retried now and then.
window.setInterval(() => {
  if (outbox.pending().length && navigator.onLine) {
    state.offline = false;
    flushOutbox();
  }
}, 5000);

// ---- the open list ----

export function upsertItem(item: Item): void {
  const open = state.open;
  if (!open || item.listId !== open.list.id) return;
  const index = open.list.items.findIndex((existing) => existing.id === item.id);
  if (index === -1) open.list.items.push(item);
  else open.list.items[index] = item;
  state.page?.renderItems();
}

function applyFrame(frame: Frame): void {
  const open = state.open;
  if (!open) return;
  switch (frame.type) {
    case 'item:added':
    case 'item:updated':
      upsertItem(frame.payload as Item);
      return;
    case 'item:removed': {
      const { id } = frame.payload as { id: string };
      open.list.items = open.list.items.filter((item) => item.id !== id);
      state.page?.renderItems();
      return;
    }
    case 'item:checking': {
      const { itemId, userId } = frame.payload as { itemId: string; userId: string };
      if (userId === state.user?.id) return;
      open.checking.set(itemId, { userId, until: Date.now() + CHECKING_MS });
      state.page?.renderItems();
      window.setTimeout(() => state.page?.renderItems(), CHECKING_MS + 50);
      return;
    }
    case 'list:updated':
      Object.assign(open.list, frame.payload as Partial<List>);
      state.page?.renderHead();
      return;
    case 'store:updated': {
      const store = frame.payload as Store;
      if (open.stores) {
        const index = open.stores.findIndex((existing) => existing.id === store.id);
        if (index === -1) open.stores.push(store);
        else open.stores[index] = store;
      }
      state.page?.renderStores();
      state.page?.renderItems();
      return;
    }
    case 'trip:completed':
      void reloadList();
      state.page?.refreshTrips();
      return;
    case 'presence':
      open.presence = frame.payload as Presence;
      state.page?.renderHead();
      return;
    default:
      return;
  }
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

async function openList(listId: string): Promise<OpenList> {
  if (state.open?.list.id === listId) return state.open;
  closeList();
  const list = await api<List>('GET', `/lists/${listId}`);
  const open: OpenList = {
    list,
    presence: null,
    checking: new Map(),
    stores: null,
    storeId: localStorage.getItem(`cartsync.store.${listId}`),
    live: new LiveList(listId, list.seq, {
      frame: (frame) => {
        if (state.open === open) applyFrame(frame);
      },
      status: (connected) => {
        byId('main').dataset.live = connected ? 'connected' : 'disconnected';
      },
      lost: (code) => {
        if (state.open !== open) return;
        if (code === 4403 || code === 4404) {
          toast('This list is no longer available to you.');
          location.hash = '#/lists';
          return;
        }
        if (code === 4401) {
          signOut(false);
          return;
        }
        void reloadList();
      },
    }),
  };
  state.open = open;
  if (!state.offline) open.live.start();
  return open;
}

function closeList(): void {
  state.open?.live.stop();
  state.open = null;
  state.page = null;
}

// ---- account ----

export async function signedIn(token: string, user: User, next: string): Promise<void> {
  session.save(token);
  state.user = user;
  renderAccount();
  if (location.hash === next) await route();
  else location.hash = next;
}

function signOut(tellServer: boolean): void {
  if (tellServer && session.token()) void api('POST', '/auth/logout', {}).catch(() => undefined);
  session.clear();
  localStorage.removeItem('cartsync.outbox');
  closeList();
  state.user = null;
  renderAccount();
  // A changed hash routes by itself (hashchange); an unchanged one has to be routed here.
  if (location.hash === '#/login') void route();
  else location.hash = '#/login';
}

function renderAccount(): void {
  const account = byId('account');
  if (!state.user) {
    account.replaceChildren();
    return;
  }
  replaceChildren(account, [
    h('span', { class: 'who' }, `Signed in as ${state.user.name}`),
    h('button', { type: 'button', class: 'secondary', on: { click: () => signOut(true) } }, 'Sign out'),
  ]);
}

// ---- routing ----

async function route(): Promise<void> {
  const main = byId('main');
  const hash = location.hash || '#/lists';
  if (!session.token()) {
    closeList();
    renderAuth(main);
    return;
  }
  if (!state.user) {
    try {
      state.user = await api<User>('GET', '/auth/me');
      renderAccount();
    } catch (error) {
      if (!session.token()) return;
      main.replaceChildren(h('p', { role: 'alert' }, describe(error)));
      return;
    }
  }
  const match = /^#\/lists\/([0-9a-f-]{36})(\/shop)?$/i.exec(hash);
  if (!match) {
    closeList();
    await renderLists(main);
    return;
  }
  try {
    const open = await openList(match[1]);
    state.page = new ListPage(main, open, match[2] ? 'shop' : 'list');
    state.page.render();
  } catch (error) {
    main.replaceChildren(
      h('h1', {}, 'List not available'),
      h('p', { role: 'alert' }, describe(error)),
      h('p', {}, h('a', { href: '#/lists' }, 'Back to your lists')),
    );
  }
}

window.addEventListener('hashchange', () => void route());
renderNetwork();
void route();
flushOutbox();
