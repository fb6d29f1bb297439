/** Sign in / create account. */
import { api, describe } from '../api.js';
import { formValues, h } from '../dom.js';
import type { AuthResponse, User } from '../types.js';

/** What a sign-in leads to (main.ts's signedIn): the session is kept, then `next` is routed to. */
type SignedIn = (token: string, user: User, next: string) => Promise<void>;

export function renderAuth(main: HTMLElement, signedIn: SignedIn, mode: 'login' | 'register' = 'login'): void {
  const registering = mode === 'register';
  const error = h('p', { class: 'error', role: 'alert', id: 'auth-error' });
  const submit = h('button', { type: 'submit', class: 'primary' }, registering ? 'Create account' : 'Sign in');
  const form = h(
    'form',
    { class: 'card stack', 'aria-labelledby': 'auth-title', novalidate: false },
    h('h1', { id: 'auth-title' }, registering ? 'Create your account' : 'Sign in to CartSync'),
    registering &&
      h(
        'div',
        { class: 'field' },
        h('label', { for: 'auth-name' }, 'Your name'),
        h('input', { id: 'auth-name', name: 'name', autocomplete: 'name', required: true, maxlength: 100 }),
      ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'auth-email' }, 'Email'),
      h('input', { id: 'auth-email', name: 'email', type: 'email', autocomplete: 'email', required: true }),
    ),
    h(
      'div',
      { class: 'field' },
      h('label', { for: 'auth-password' }, 'Password'),
      h('input', {
        id: 'auth-password',
        name: 'password',
        type: 'password',
        autocomplete: registering ? 'new-password' : 'current-password',
        required: true,
        minlength: registering ? 8 : undefined,
        'aria-describedby': registering ? 'auth-password-hint' : undefined,
      }),
      registering && h('p', { class: 'hint', id: 'auth-password-hint' }, 'At least 8 characters.'),
    ),
    error,
    submit,
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    const values = formValues(form);
    submit.disabled = true;
    error.textContent = '';
    const request = registering
      ? api<AuthResponse>('POST', '/auth/register', {
          name: values.name,
          email: values.email,
          password: values.password,
        })
      : api<AuthResponse>('POST', '/auth/login', { email: values.email, password: values.password });
    request
      .then((auth) =>
        signedIn(auth.token, auth.user, registering && auth.listIds[0] ? `#/lists/${auth.listIds[0]}` : '#/lists'),
      )
      .catch((failure: unknown) => {
        error.textContent = describe(failure);
        submit.disabled = false;
      });
  });
  main.replaceChildren(
    h(
      'div',
      { class: 'auth' },
      h(
        'section',
        { class: 'intro' },
        h('p', { class: 'lead' }, 'One grocery list for the whole household, live on every phone.'),
      ),
      form,
      h(
        'p',
        { class: 'switch' },
        registering ? 'Already have an account? ' : 'New to CartSync? ',
        h(
          'button',
          {
            type: 'button',
            class: 'link',
            on: { click: () => renderAuth(main, signedIn, registering ? 'login' : 'register') },
          },
          registering ? 'Sign in' : 'Create an account',
        ),
      ),
    ),
  );
}
