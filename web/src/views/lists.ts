/** Your lists: pick one, create one, join one with an invite code. */
import { api, describe } from '../api.js';
import { formValues, h } from '../dom.js';
import type { List, ListSummary } from '../types.js';

export async function renderLists(main: HTMLElement): Promise<void> {
  let lists: ListSummary[];
  try {
    lists = await api<ListSummary[]>('GET', '/lists');
  } catch (error) {
    main.replaceChildren(h('h1', {}, 'Your lists'), h('p', { role: 'alert' }, describe(error)));
    return;
  }
  main.replaceChildren(
    h('h1', {}, 'Your lists'),
    lists.length
      ? h(
          'ul',
          { class: 'lists' },
          ...lists.map((list) =>
            h(
              'li',
              {},
              h('a', { href: `#/lists/${list.id}` }, list.name),
              h(
                'span',
                { class: 'meta' },
                `${list.uncheckedCount} to buy · ${list.memberCount} member${list.memberCount === 1 ? '' : 's'}`,
              ),
            ),
          ),
        )
      : h('p', {}, 'No lists yet: create one or join a partner’s.'),
    h(
      'div',
      { class: 'grid-2' },
      listForm({
        id: 'create-list',
        title: 'New list',
        label: 'List name',
        name: 'name',
        button: 'Create list',
        send: (value) => api<List>('POST', '/lists', { name: value }),
      }),
      listForm({
        id: 'join-list',
        title: 'Join a list',
        label: 'Invite code',
        name: 'inviteCode',
        placeholder: 'A4F-92K',
        button: 'Join list',
        send: (value) => api<List>('POST', '/lists/join', { inviteCode: value }),
      }),
    ),
  );
}

function listForm(options: {
  id: string;
  title: string;
  label: string;
  name: string;
  placeholder?: string;
  button: string;
  send: (value: string) => Promise<List>;
}): HTMLFormElement {
  const error = h('p', { class: 'error', role: 'alert' });
  const form = h(
    'form',
    { class: 'card stack', id: options.id, 'aria-labelledby': `${options.id}-title` },
    h('h2', { id: `${options.id}-title` }, options.title),
    h(
      'div',
      { class: 'field' },
      h('label', { for: `${options.id}-input` }, options.label),
      h('input', {
        id: `${options.id}-input`,
        name: options.name,
        required: true,
        maxlength: 100,
        placeholder: options.placeholder,
        autocomplete: 'off',
      }),
    ),
    error,
    h('button', { type: 'submit', class: 'primary' }, options.button),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    error.textContent = '';
    options
      .send(formValues(form)[options.name])
      .then((list) => (location.hash = `#/lists/${list.id}`))
      .catch((failure: unknown) => (error.textContent = describe(failure)));
  });
  return form;
}
