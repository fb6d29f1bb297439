/** The CartSync web client: routes (#/lists, #/lists/:id, #/lists/:id/shop), the account and the live list. */
import { api, describe, onUnauthorized, session } from './api.js';
import { flushOutbox, outbox, reloadList, renderNetwork, setOffline, state, upsertItem } from './app.js';
import type { OpenList } from './app.js';
import { byId, h, replaceChildren, toast } from './dom.js';
import { LiveList } from './live.js';
import { renderAuth } from './views/auth.js';
import { renderLists } from './views/lists.js';
import { ListPage } from './views/list-page.js';
import type { Frame, Item, List, Presence, Store, User } from './types.js';

/** How long an item a partner is checking stays lit up. */
const CHECKING_MS = 3000;

onUnauthorized(() => signOut(false));

// ---- network ----

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

async function signedIn(token: string, user: User, next: string): Promise<void> {
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
    renderAuth(main, signedIn);
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
    const page = new ListPage(main, open, match[2] ? 'shop' : 'list');
    state.page = page;
    page.render();
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
