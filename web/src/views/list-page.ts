/** One list: its items (list mode) or its items in a store's walking order (shopping mode). */
import { api, describe, NetworkError } from '../api.js';
import { flushOutbox, outbox, reloadList, setOffline, state, upsertItem } from '../app.js';
import type { OpenList } from '../app.js';
import { formValues, h, replaceChildren, toast, uuid } from '../dom.js';
import type { Item, Store, Suggestion, Trip } from '../types.js';

type Mode = 'list' | 'shop';

/** An item as shown: the server's, with what is still waiting in the outbox on top. */
interface Shown extends Item {
  pending: boolean;
}

export class ListPage {
  private readonly head = h('section', { class: 'list-head', 'aria-labelledby': 'list-title' });
  private readonly toBuy = h('ul', { class: 'items', id: 'to-buy', 'aria-labelledby': 'to-buy-title' });
  private readonly inCart = h('ul', { class: 'items', id: 'in-cart', 'aria-labelledby': 'in-cart-title' });
  private readonly storesBox = h('div', { class: 'stores' });
  private readonly trips = h('ul', { class: 'trips', id: 'trips', 'aria-labelledby': 'trips-title' });
  private readonly suggestions = h('ul', {
    class: 'suggestions',
    id: 'suggestions',
    'aria-labelledby': 'suggestions-title',
  });
  private editing: string | null = null;
  private renaming = false;

  constructor(
    private readonly main: HTMLElement,
    private readonly open: OpenList,
    private readonly mode: Mode,
  ) {}

  private get listId(): string {
    return this.open.list.id;
  }

  render(): void {
    this.main.dataset.view = this.mode;
    this.renderHead();
    this.renderItems();
    if (this.mode === 'list') {
      this.main.replaceChildren(
        this.head,
        this.addForm(),
        h('section', { class: 'card' }, h('h2', { id: 'to-buy-title' }, 'To buy'), this.toBuy),
        h('section', { class: 'card' }, h('h2', { id: 'in-cart-title' }, 'In the cart'), this.inCart),
        h('section', { class: 'card' }, h('h2', { id: 'suggestions-title' }, 'Suggestions'), this.suggestions),
      );
      this.refreshSuggestions();
    } else {
      this.main.replaceChildren(
        this.head,
        h(
          'section',
          { class: 'card', 'aria-labelledby': 'store-title' },
          h('h2', { id: 'store-title' }, 'Store'),
          this.storesBox,
        ),
        h('section', { class: 'card' }, h('h2', { id: 'to-buy-title' }, 'Walking order'), this.toBuy),
        h(
          'section',
          { class: 'card' },
          h('h2', { id: 'in-cart-title' }, 'In the cart'),
          this.inCart,
          this.completeForm(),
        ),
        h('section', { class: 'card' }, h('h2', { id: 'trips-title' }, 'Trip history'), this.trips),
      );
      void this.loadStores();
      this.refreshTrips();
    }
  }

  // ---- head: name, rename, invite code, presence ----

  renderHead(): void {
    const list = this.open.list;
    const presence = this.open.presence;
    const here = presence?.users.map((user) => (user.id === state.user?.id ? `${user.name} (you)` : user.name)) ?? [];
    const title = this.mode === 'shop' ? `Shopping: ${list.name}` : list.name;
    replaceChildren(this.head, [
      h(
        'nav',
        { class: 'crumbs', 'aria-label': 'List navigation' },
        h('a', { href: '#/lists' }, 'All lists'),
        this.mode === 'list'
          ? h('a', { href: `#/lists/${list.id}/shop`, class: 'button-link' }, 'Shopping mode')
          : h('a', { href: `#/lists/${list.id}`, class: 'button-link' }, 'Back to the list'),
      ),
      this.renaming ? this.renameForm() : h('h1', { id: 'list-title' }, title),
      this.mode === 'list' &&
        !this.renaming &&
        h(
          'button',
          { type: 'button', class: 'secondary', 'data-key': 'rename', on: { click: () => this.startRename() } },
          'Rename list',
        ),
      h(
        'p',
        { class: 'invite' },
        'Invite code: ',
        h('code', { id: 'invite-code' }, list.inviteCode),
        ' ',
        h(
          'button',
          { type: 'button', class: 'secondary', 'data-key': 'copy', on: { click: () => void this.copyInvite() } },
          'Copy invite code',
        ),
      ),
      h(
        'p',
        { class: 'presence', id: 'presence', 'aria-live': 'polite' },
        here.length ? `Here now: ${here.join(', ')}` : 'Connecting…',
      ),
    ]);
  }

  private startRename(): void {
    this.renaming = true;
    this.renderHead();
    this.head.querySelector<HTMLInputElement>('#rename-input')?.focus();
  }

  private renameForm(): HTMLFormElement {
    const form = h(
      'form',
      { class: 'inline', id: 'rename-form' },
      h('label', { for: 'rename-input' }, 'List name'),
      h('input', { id: 'rename-input', name: 'name', required: true, maxlength: 100, value: this.open.list.name }),
      h('button', { type: 'submit', class: 'primary' }, 'Save name'),
      h('button', { type: 'button', class: 'secondary', on: { click: () => this.stopRename() } }, 'Cancel'),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      api<{ name: string }>('PATCH', `/lists/${this.listId}`, { name: formValues(form).name })
        .then((list) => {
          this.open.list.name = list.name;
          this.stopRename();
        })
        .catch((error: unknown) => toast(describe(error)));
    });
    return form;
  }

  private stopRename(): void {
    this.renaming = false;
    this.renderHead();
    this.head.querySelector<HTMLElement>('[data-key="rename"]')?.focus();
  }

  private async copyInvite(): Promise<void> {
    const code = this.open.list.inviteCode;
    try {
      await navigator.clipboard.writeText(code);
      toast(`Invite code ${code} copied.`);
    } catch {
      const range = document.createRange();
      const element = this.head.querySelector('#invite-code');
      if (element) {
        range.selectNodeContents(element);
        getSelection()?.removeAllRanges();
        getSelection()?.addRange(range);
      }
      toast(`Invite code ${code} selected: copy it with your device’s copy command.`);
    }
  }

  // ---- items ----

  /** The items as this device knows them: server state, then pending adds and checks. */
  private shown(): Shown[] {
    const items: Shown[] = this.open.list.items.map((item) => ({ ...item, pending: false }));
    for (const operation of outbox.pending(this.listId)) {
      if (operation.kind === 'add') {
        if (!items.some((item) => item.id === operation.item.id)) {
          items.push({
            ...operation.item,
            listId: this.listId,
            checked: false,
            addedBy: state.user?.id ?? '',
            createdAt: new Date().toISOString(),
            pending: true,
          });
        }
      } else {
        const item = items.find((candidate) => candidate.id === operation.itemId);
        if (item) Object.assign(item, { checked: operation.checked, pending: true });
      }
    }
    return items;
  }

  private store(): Store | undefined {
    return this.open.stores?.find((store) => store.id === this.open.storeId);
  }

  renderItems(): void {
    const items = this.shown();
    const unchecked = items.filter((item) => !item.checked);
    const checked = items.filter((item) => item.checked);
    const store = this.mode === 'shop' ? this.store() : undefined;
    if (store) {
      const position = (item: Item) => store.learnedOrder[item.name] ?? Number.POSITIVE_INFINITY;
      unchecked.sort((a, b) => position(a) - position(b));
    }
    replaceChildren(
      this.toBuy,
      unchecked.length
        ? unchecked.map((item) => this.itemRow(item, store))
        : [h('li', { class: 'empty' }, this.mode === 'shop' ? 'Everything is in the cart.' : 'Nothing to buy yet.')],
    );
    replaceChildren(
      this.inCart,
      checked.length
        ? checked.map((item) => this.itemRow(item, undefined))
        : [h('li', { class: 'empty' }, 'Nothing checked yet.')],
    );
  }

  private itemRow(item: Shown, store: Store | undefined): HTMLLIElement {
    if (this.editing === item.id) return this.editRow(item);
    const partner = this.open.checking.get(item.id);
    // Stays lit a moment after the partner's check lands, so the others see who took it.
    const lit = partner && partner.until > Date.now() ? partner : undefined;
    const who = lit && this.open.list.members.find((member) => member.id === lit.userId)?.name;
    const position = store?.learnedOrder[item.name];
    const checkbox = h('input', {
      type: 'checkbox',
      id: `check-${item.id}`,
      'data-key': `check-${item.id}`,
      checked: item.checked,
      on: { change: () => this.toggle(item, checkbox.checked) },
    });
    return h(
      'li',
      {
        class: ['item', lit ? 'partner-checking' : '', item.pending ? 'pending' : '', item.checked ? 'checked' : '']
          .filter(Boolean)
          .join(' '),
        'data-item-id': item.id,
        'data-name': item.name,
      },
      position !== undefined &&
        h(
          'span',
          { class: 'badge', 'aria-label': `Position ${Math.round(position)} in ${store?.name ?? 'the store'}` },
          String(Math.round(position)),
        ),
      checkbox,
      h(
        'label',
        { for: `check-${item.id}`, class: 'item-label' },
        h('span', { class: 'name' }, item.name),
        h('span', { class: 'qty' }, `${formatQuantity(item.quantity)} ${item.unit}`),
      ),
      lit && h('span', { class: 'checking-note' }, `${who ?? 'A partner'} is checking this`),
      item.pending && h('span', { class: 'pending-note' }, 'Waiting to send'),
      this.mode === 'list' &&
        h(
          'span',
          { class: 'actions' },
          h(
            'button',
            {
              type: 'button',
              class: 'secondary small',
              'data-key': `edit-${item.id}`,
              'aria-label': `Edit ${item.name}`,
              disabled: item.pending,
              on: { click: () => this.startEdit(item.id) },
            },
            'Edit',
          ),
          h(
            'button',
            {
              type: 'button',
              class: 'danger small',
              'aria-label': `Delete ${item.name}`,
              disabled: item.pending,
              on: { click: () => void this.remove(item) },
            },
            'Delete',
          ),
        ),
    );
  }

  private toggle(item: Item, checked: boolean): void {
    if (checked) this.open.live.checking(item.id);
    outbox.add({
      kind: 'check',
      key: uuid(),
      listId: this.listId,
      itemId: item.id,
      checked,
      checkedAt: checked && state.offline ? new Date().toISOString() : undefined,
    });
    flushOutbox();
  }

  private addForm(): HTMLFormElement {
    const form = h(
      'form',
      { class: 'card add-item', id: 'add-item', 'aria-labelledby': 'add-item-title' },
      h('h2', { id: 'add-item-title' }, 'Add an item'),
      h(
        'div',
        { class: 'row' },
        h(
          'div',
          { class: 'field grow' },
          h('label', { for: 'add-name' }, 'Item'),
          h('input', { id: 'add-name', name: 'name', required: true, maxlength: 200, autocomplete: 'off' }),
        ),
        h(
          'div',
          { class: 'field narrow' },
          h('label', { for: 'add-quantity' }, 'Quantity'),
          h('input', {
            id: 'add-quantity',
            name: 'quantity',
            type: 'number',
            min: '0.001',
            step: 'any',
            value: '1',
            required: true,
          }),
        ),
        h(
          'div',
          { class: 'field narrow' },
          h('label', { for: 'add-unit' }, 'Unit'),
          h('input', { id: 'add-unit', name: 'unit', maxlength: 32, value: '×', autocomplete: 'off' }),
        ),
        h('button', { type: 'submit', class: 'primary' }, 'Add'),
      ),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const values = formValues(form);
      this.add(values.name, Number(values.quantity) || 1, values.unit || '×');
      form.reset();
      form.querySelector<HTMLInputElement>('#add-name')?.focus();
    });
    return form;
  }

  /** Adds go through the outbox: a client id and an Idempotency-Key make them safe to resend. */
  add(name: string, quantity: number, unit: string): void {
    outbox.add({ kind: 'add', key: uuid(), listId: this.listId, item: { id: uuid(), name, quantity, unit } });
    flushOutbox();
  }

  private startEdit(itemId: string): void {
    this.editing = itemId;
    this.renderItems();
    this.main.querySelector<HTMLInputElement>('#edit-name')?.focus();
  }

  private stopEdit(itemId: string): void {
    this.editing = null;
    this.renderItems();
    this.main.querySelector<HTMLElement>(`[data-key="edit-${itemId}"]`)?.focus();
  }

  private editRow(item: Item): HTMLLIElement {
    const form = h(
      'form',
      { class: 'row', 'aria-label': `Edit ${item.name}` },
      h(
        'div',
        { class: 'field grow' },
        h('label', { for: 'edit-name' }, 'Item'),
        h('input', { id: 'edit-name', name: 'name', required: true, maxlength: 200, value: item.name }),
      ),
      h(
        'div',
        { class: 'field narrow' },
        h('label', { for: 'edit-quantity' }, 'Quantity'),
        h('input', {
          id: 'edit-quantity',
          name: 'quantity',
          type: 'number',
          min: '0.001',
          step: 'any',
          value: String(item.quantity),
        }),
      ),
      h(
        'div',
        { class: 'field narrow' },
        h('label', { for: 'edit-unit' }, 'Unit'),
        h('input', { id: 'edit-unit', name: 'unit', maxlength: 32, value: item.unit }),
      ),
      h('button', { type: 'submit', class: 'primary' }, 'Save'),
      h('button', { type: 'button', class: 'secondary', on: { click: () => this.stopEdit(item.id) } }, 'Cancel'),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      const values = formValues(form);
      api<Item>('PATCH', `/lists/${this.listId}/items/${item.id}`, {
        name: values.name,
        quantity: Number(values.quantity),
        unit: values.unit || '×',
      })
        .then((updated) => {
          this.editing = null;
          upsertItem(updated);
          this.main.querySelector<HTMLElement>(`[data-key="edit-${item.id}"]`)?.focus();
        })
        .catch((error: unknown) => this.failed(error));
    });
    return h('li', { class: 'item editing', 'data-item-id': item.id }, form);
  }

  private async remove(item: Item): Promise<void> {
    try {
      await api('DELETE', `/lists/${this.listId}/items/${item.id}`);
      this.open.list.items = this.open.list.items.filter((existing) => existing.id !== item.id);
      this.renderItems();
      toast(`${item.name} deleted.`);
    } catch (error) {
      this.failed(error);
    }
  }

  private failed(error: unknown): void {
    if (error instanceof NetworkError) setOffline(true);
    toast(describe(error));
  }

  // ---- suggestions ----

  private refreshSuggestions(): void {
    api<Suggestion[]>('GET', `/lists/${this.listId}/suggestions`)
      .then((suggestions) =>
        replaceChildren(
          this.suggestions,
          suggestions.length
            ? suggestions.map((suggestion) =>
                h(
                  'li',
                  { 'data-name': suggestion.name },
                  h(
                    'span',
                    { class: 'suggestion' },
                    h('span', { class: 'name' }, suggestion.name),
                    h('span', { class: 'reason' }, suggestion.reason ?? `bought ${suggestion.frequencyLabel}`),
                  ),
                  h(
                    'button',
                    {
                      type: 'button',
                      class: 'secondary small',
                      'aria-label': `Add ${suggestion.name}`,
                      on: {
                        click: (event) => {
                          (event.currentTarget as HTMLButtonElement).closest('li')?.remove();
                          this.add(suggestion.name, 1, suggestion.unit);
                        },
                      },
                    },
                    'Add',
                  ),
                ),
              )
            : [h('li', { class: 'empty' }, 'Suggestions appear after a few trips.')],
        ),
      )
      .catch(() =>
        replaceChildren(this.suggestions, [h('li', { class: 'empty' }, 'Suggestions are not available offline.')]),
      );
  }

  // ---- shopping: stores, trips ----

  private async loadStores(): Promise<void> {
    try {
      this.open.stores = await api<Store[]>('GET', `/lists/${this.listId}/stores`);
    } catch (error) {
      this.failed(error);
      this.open.stores = this.open.stores ?? [];
    }
    if (!this.store()) this.open.storeId = this.open.stores[0]?.id ?? null;
    this.renderStores();
    this.renderItems();
  }

  renderStores(): void {
    if (this.mode !== 'shop') return;
    const stores = this.open.stores ?? [];
    const select = h(
      'select',
      {
        id: 'store-select',
        name: 'store',
        'data-key': 'store-select',
        on: {
          change: () => {
            this.open.storeId = select.value || null;
            localStorage.setItem(`cartsync.store.${this.listId}`, select.value);
            this.renderStores();
            this.renderItems();
          },
        },
      },
      h('option', { value: '' }, 'No store (list order)'),
      ...stores.map((store) => h('option', { value: store.id, selected: store.id === this.open.storeId }, store.name)),
    );
    const store = this.store();
    const create = h(
      'form',
      { class: 'inline', id: 'add-store' },
      h('label', { for: 'store-name' }, 'New store'),
      h('input', { id: 'store-name', name: 'name', required: true, maxlength: 100, autocomplete: 'off' }),
      h('button', { type: 'submit', class: 'secondary' }, 'Add store'),
    );
    create.addEventListener('submit', (event) => {
      event.preventDefault();
      api<Store>('POST', `/lists/${this.listId}/stores`, { name: formValues(create).name })
        .then((created) => {
          this.open.stores = [...(this.open.stores ?? []).filter((s) => s.id !== created.id), created];
          this.open.storeId = created.id;
          localStorage.setItem(`cartsync.store.${this.listId}`, created.id);
          this.renderStores();
          this.renderItems();
        })
        .catch((error: unknown) => this.failed(error));
    });
    replaceChildren(this.storesBox, [
      h('div', { class: 'field' }, h('label', { for: 'store-select' }, 'Shopping at'), select),
      h(
        'p',
        { class: 'hint', id: 'store-status' },
        !store
          ? 'Pick a store to walk the list in its aisle order.'
          : store.tripCount >= 2
            ? `Sorted by the walking order learned over ${store.tripCount} trips.`
            : 'Still learning this store: complete a few trips here.',
      ),
      create,
    ]);
  }

  private completeForm(): HTMLFormElement {
    const form = h(
      'form',
      { class: 'stack complete', id: 'complete-trip' },
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'receipt' }, 'Receipt photo (optional)'),
        h('input', { id: 'receipt', name: 'receipt', type: 'file', accept: 'image/*,application/pdf' }),
      ),
      h('button', { type: 'submit', class: 'primary' }, 'Complete trip'),
    );
    form.addEventListener('submit', (event) => {
      event.preventDefault();
      void this.completeTrip(form);
    });
    return form;
  }

  private async completeTrip(form: HTMLFormElement): Promise<void> {
    const file = form.querySelector<HTMLInputElement>('#receipt')?.files?.[0];
    try {
      await outbox.flush();
      const trip = await api<Trip>(
        'POST',
        `/lists/${this.listId}/trips`,
        this.open.storeId ? { storeId: this.open.storeId } : {},
        {
          'Idempotency-Key': uuid(),
        },
      );
      if (file) {
        const body = new FormData();
        body.append('receipt', file);
        await api<Trip>('POST', `/lists/${this.listId}/trips/${trip.id}/receipt`, body);
      }
      form.reset();
      toast(`Trip completed: ${trip.itemCount} item${trip.itemCount === 1 ? '' : 's'} bought.`);
      await reloadList();
      this.refreshTrips();
    } catch (error) {
      this.failed(error);
    }
  }

  refreshTrips(): void {
    if (this.mode !== 'shop') return;
    api<Trip[]>('GET', `/lists/${this.listId}/trips`)
      .then((trips) =>
        replaceChildren(
          this.trips,
          trips.length
            ? trips.map((trip) =>
                h(
                  'li',
                  { 'data-trip-id': trip.id },
                  h(
                    'span',
                    { class: 'trip' },
                    h('time', { datetime: trip.completedAt }, new Date(trip.completedAt).toLocaleString()),
                    h(
                      'span',
                      { class: 'trip-summary' },
                      `${trip.storeName ?? 'No store'} · ${trip.itemCount} item${trip.itemCount === 1 ? '' : 's'}`,
                    ),
                  ),
                  trip.receiptUrl &&
                    h(
                      'a',
                      { href: trip.receiptUrl, target: '_blank', rel: 'noopener', class: 'receipt' },
                      h('img', {
                        src: trip.receiptUrl,
                        alt: `Receipt of ${new Date(trip.completedAt).toLocaleDateString()}`,
                      }),
                    ),
                ),
              )
            : [h('li', { class: 'empty' }, 'No trips yet.')],
        ),
      )
      .catch(() => undefined);
  }
}

function formatQuantity(quantity: number): string {
  return Number.isInteger(quantity) ? String(quantity) : String(Number(quantity.toFixed(3)));
}
