// The dashboard client: session check, navigation, log-in and first-run set-up; pages are in pages.ts.
import { api, ApiError, button, el, errorText, input, link, login, route, setLogin, type Login } from './dom.js';
import { PAGES } from './pages.js';

const NAV: [string, string, ('admin' | 'analyst' | 'viewer')[]?][] = [
  ['overview', 'Overview'],
  ['live', 'Live'],
  ['sessions', 'Sessions'],
  ['chains', 'Attack chains'],
  ['incidents', 'Incidents'],
  ['malware', 'Malware'],
  ['credentials', 'Credentials'],
  ['services', 'Services'],
  ['reports', 'Reports'],
  ['query', 'Query', ['admin']],
  ['users', 'Users', ['admin']],
];

let stopPage: (() => void) | undefined;

function renderNav(): void {
  const nav = document.getElementById('nav')!;
  const who = document.getElementById('who')!;
  const l = login();
  nav.replaceChildren(
    ...NAV.filter(([, , roles]) => l && (!roles || roles.includes(l.role))).map(([r, text]) => {
      const a = link(r, text);
      if (route().name === r) a.className = 'active';
      return a;
    }),
  );
  who.replaceChildren(...(l ? [`${l.username} (${l.role}) `, button('Log out', () => void logout(), { id: 'logout' })] : []));
}

async function logout(): Promise<void> {
  await api('/api/logout', {}).catch(() => undefined);
  setLogin(undefined);
  location.hash = '#/login';
}

function loginPage(main: HTMLElement, setupNeeded: boolean): void {
  const user = input('username', 'user name');
  const pass = input('password', 'password', '', 'password');
  const msg = el('p', { class: 'error', id: 'login-error' });
  const submit = async (): Promise<void> => {
    msg.textContent = '';
    try {
      setLogin(await api<Login>('/api/login', { username: user.value, password: pass.value }));
      location.hash = '#/overview';
      void render();
    } catch (err) {
      msg.textContent = errorText(err);
    }
  };
  const form = el('form', { class: 'login', id: 'login-form' }, el('h1', {}, 'Log in'), el('label', {}, 'User name'), user, el('label', {}, 'Password'), pass, el('p', {}, el('button', { type: 'submit', id: 'login-submit' }, 'Log in')), msg);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    void submit();
  });
  main.replaceChildren(form, setupNeeded ? el('p', {}, 'No account exists yet: ', link('setup', 'set up the first admin'), ' with the token printed at start.') : '');
}

function setupPage(main: HTMLElement): void {
  const token = input('token', 'set-up token');
  const user = input('username', 'admin user name', 'admin');
  const pass = input('password', 'password (12+ characters)', '', 'password');
  const msg = el('p', { class: 'error', id: 'setup-error' });
  const form = el('form', { class: 'login', id: 'setup-form' }, el('h1', {}, 'First-run set-up'), el('p', { class: 'muted' }, 'The token is printed by apiary start.'), el('label', {}, 'Set-up token'), token, el('label', {}, 'Admin user name'), user, el('label', {}, 'Password'), pass, el('p', {}, el('button', { type: 'submit', id: 'setup-submit' }, 'Create admin')), msg);
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    api('/api/setup', { token: token.value, username: user.value, password: pass.value })
      .then(() => {
        location.hash = '#/login';
      })
      .catch((err: unknown) => (msg.textContent = errorText(err)));
  });
  main.replaceChildren(form);
}

async function render(): Promise<void> {
  stopPage?.();
  stopPage = undefined;
  const main = document.getElementById('app')!;
  const r = route();
  if (!login()) {
    const s = await api<Login | { username: null; setup_needed: boolean }>('/api/session');
    if (s.username !== null) setLogin(s);
    else {
      const setupNeeded = s.setup_needed;
      renderNav();
      if (r.name === 'setup') setupPage(main);
      else loginPage(main, setupNeeded);
      return;
    }
  }
  if (r.name === 'login' || r.name === 'setup') {
    location.hash = '#/overview';
    return;
  }
  renderNav();
  const page = PAGES[r.name];
  if (!page) {
    main.replaceChildren(el('p', { class: 'error' }, 'No such page.'));
    return;
  }
  main.replaceChildren(el('p', { class: 'muted' }, 'Loading…'));
  try {
    stopPage = (await page(main, r)) ?? undefined;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) {
      setLogin(undefined);
      location.hash = '#/login';
      return;
    }
    main.replaceChildren(el('p', { class: 'error', id: 'page-error' }, errorText(err)));
  }
  main.setAttribute('data-page', r.name);
}

window.addEventListener('hashchange', () => void render());
void render();
