// The chat page: plain ES module, no build step. Every piece of user content goes in through
// textContent / attributes, never innerHTML.
import { defaultLang, getLang, pick, setLang, t } from './i18n.js';
import { initMfa } from './mfa.js';
import { initQr } from './qr.js';

const $ = (id) => document.getElementById(id);
const state = {
  me: null,
  csrf: '',
  frozen: false,
  frozenReasons: [], // [{code, en, zh}] from Gatehouse
  frozenFallback: null, // the notice or reason text when there are no reasons
  appealUrl: null,
  friends: [],
  blocked: new Set(),
  groups: [],
  current: null, // { conv: 'dm:<id>' | 'group:<id>', kind, id, name }
  messages: new Map(), // id -> message of the current conversation
  warnings: [],
  attachment: null,
  ws: null,
  signup: false,
};

// ---------- HTTP ----------
async function api(method, path, body, contentType) {
  const headers = { accept: 'application/json' };
  if (method !== 'GET') headers['x-csrf-token'] = state.csrf;
  let payload;
  if (body instanceof Blob) {
    payload = body;
    headers['content-type'] = contentType;
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (res.status === 204) return undefined;
  const data = await res.json().catch(() => ({}));
  if (!res.ok) {
    const err = new Error(pick(data.message, data.messageZh) || res.statusText);
    err.code = data.code;
    err.data = data;
    err.status = res.status;
    throw err;
  }
  return data;
}

function toast(text, kind = 'info') {
  const el = $('toast');
  el.textContent = text;
  el.className = `toast ${kind}`;
  el.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (el.hidden = true), 5000);
}

function el(tag, props = {}, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (k === 'class') e.className = v;
    else if (k === 'text') e.textContent = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else if (k === 'dataset') Object.assign(e.dataset, v);
    else e.setAttribute(k, v);
  }
  for (const c of children) if (c != null) e.append(c);
  return e;
}

// ---------- session ----------
function applySession(s) {
  state.me = s.user;
  state.csrf = s.csrfToken;
  state.appealUrl = s.appealUrl ?? null;
  setFrozen(s.user.state === 'frozen', s.frozenReasons, s.frozenReason);
  $('me-name').textContent = `${s.user.displayName} (@${s.user.handle})`;
  $('profile-name').value = s.user.displayName;
  $('signout').hidden = false;
  $('auth').hidden = true;
  $('chat').hidden = false;
  connect();
  void loadFriends();
  void loadGroups();
  renderApps(s.apps ?? []);
}

/** Third-party apps with "Sign in with Chat" (Gatehouse's sign-in and consent); each opens in a new tab. */
function renderApps(apps) {
  $('apps-section').hidden = apps.length === 0;
  $('apps').replaceChildren(
    ...apps.map((a) =>
      el(
        'li',
        {},
        el('a', {
          href: a.url,
          target: '_blank',
          rel: 'noopener noreferrer',
          text: a.name,
          dataset: { testid: `app-${a.name}` },
        }),
      ),
    ),
  );
}

function showAuth() {
  state.me = null;
  state.current = null;
  if (state.ws) state.ws.close();
  state.ws = null;
  $('chat').hidden = true;
  $('auth').hidden = false;
  $('signout').hidden = true;
  $('me-name').textContent = '';
  setFrozen(false);
}

/**
 * The frozen banner: why, in plain words in the reader's language (Gatehouse's reasons), or the
 * platform's notice when there are none; and the link to Gatehouse's appeal flow.
 */
function setFrozen(frozen, reasons, fallback) {
  state.frozen = frozen;
  state.frozenReasons = Array.isArray(reasons) ? reasons : [];
  state.frozenFallback = fallback ?? null;
  renderFrozen();
}

function renderFrozen() {
  const frozen = state.frozen;
  const reasons = frozen ? state.frozenReasons : [];
  $('frozen').hidden = !frozen;
  $('frozen-reasons').replaceChildren(...reasons.map((r) => el('li', { text: pick(r.en, r.zh) })));
  const fallback = state.frozenFallback;
  $('frozen-reason').textContent =
    frozen && reasons.length === 0 && fallback
      ? typeof fallback === 'string'
        ? fallback
        : pick(fallback.en, fallback.zh)
      : reasons.length > 0
        ? t('frozenWhy')
        : '';
  const link = $('appeal-link');
  link.hidden = !(frozen && state.appealUrl && state.me);
  if (!link.hidden) {
    const u = new URL(state.appealUrl);
    u.searchParams.set('handle', state.me.handle);
    u.searchParams.set('lang', getLang());
    link.href = u.toString();
  }
  $('text').disabled = frozen;
  $('send-btn').disabled = frozen;
  $('image').disabled = frozen;
}

function setMode(signup) {
  state.signup = signup;
  $('tab-signin').classList.toggle('active', !signup);
  $('tab-signup').classList.toggle('active', signup);
  $('dn-row').hidden = !signup;
  $('auth-submit').dataset.i18n = signup ? 'signUp' : 'signIn';
  $('auth-submit').textContent = t(signup ? 'signUp' : 'signIn');
  $('password').autocomplete = signup ? 'new-password' : 'current-password';
}

$('tab-signin').onclick = () => setMode(false);
$('tab-signup').onclick = () => setMode(true);
$('auth-form').onsubmit = async (ev) => {
  ev.preventDefault();
  $('auth-error').textContent = '';
  const body = { handle: $('handle').value.trim(), password: $('password').value };
  if (state.signup && $('displayName').value.trim()) body.displayName = $('displayName').value.trim();
  try {
    const s = await api('POST', state.signup ? '/api/signup' : '/api/signin', body);
    $('password').value = '';
    applySession(s);
  } catch (e) {
    $('password').value = '';
    if (mfa.secondStep(e)) return;
    $('auth-error').textContent = e.message;
    if (e.code === 'ACCOUNT_FROZEN') setFrozen(true, null);
  }
};
$('signout').onclick = async () => {
  await api('POST', '/api/signout').catch(() => undefined);
  showAuth();
};
$('lang').onchange = () => {
  setLang($('lang').value);
  rerender();
};

// ---------- real time ----------
function connect() {
  if (state.ws) state.ws.close();
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`);
  state.ws = ws;
  ws.onmessage = (ev) => onFrame(JSON.parse(ev.data));
  ws.onclose = (ev) => {
    if (state.ws !== ws) return;
    state.ws = null;
    if (ev.code === 4001) return;
    if (state.me) setTimeout(() => state.me && !state.ws && connect(), 2000);
  };
}

function onFrame(f) {
  switch (f.type) {
    case 'hello':
      document.body.dataset.ws = 'open';
      setFrozen(f.user.state === 'frozen', f.frozenReasons, f.frozenReason);
      break;
    case 'message':
      if (state.current && f.message.conv === state.current.conv) {
        state.messages.set(f.message.id, f.message);
        renderMessages();
      } else if (f.message.sender !== state.me?.id) markUnread(f.message.conv);
      break;
    case 'message.retracted':
      if (state.current && f.conv === state.current.conv && state.messages.has(f.id)) {
        const m = state.messages.get(f.id);
        state.messages.set(f.id, { ...m, state: 'retracted', text: '', urls: [], attachments: [] });
        renderMessages();
      }
      break;
    case 'message.withdrawn':
      if (state.current && f.conv === state.current.conv && state.messages.delete(f.id)) renderMessages();
      break;
    case 'notice':
      toast(pick(f.en, f.zh), 'warn');
      break;
    case 'warning':
      state.warnings.push(f.warning);
      if (state.current && f.warning.conv === state.current.conv) renderWarnings();
      else markUnread(f.warning.conv, true);
      break;
    case 'account':
      setFrozen(f.state === 'frozen', f.reasons, f.notice ?? f.reason);
      if (f.state === 'active') toast(t('unfrozen'));
      break;
    case 'signed_out':
      toast(t('signedOut'), 'warn');
      showAuth();
      break;
    case 'friends.changed':
      void loadFriends();
      break;
    case 'groups.changed':
      void loadGroups();
      break;
    case 'profile':
      if (f.user.id === state.me?.id) {
        state.me = f.user;
        $('me-name').textContent = `${f.user.displayName} (@${f.user.handle})`;
      }
      void loadFriends();
      break;
  }
}

function markUnread(conv, warning = false) {
  const li = document.querySelector(`[data-conv="${CSS.escape(conv)}"]`);
  if (li) li.classList.add(warning ? 'warned' : 'unread');
}

// ---------- friends and groups ----------
async function loadFriends() {
  const r = await api('GET', '/api/friends');
  state.friends = r.friends;
  state.blocked = new Set(r.blocked);
  renderFriends();
}
async function loadGroups() {
  const r = await api('GET', '/api/groups');
  state.groups = r.groups;
  renderGroups();
}

function renderFriends() {
  const ul = $('friends');
  ul.replaceChildren();
  if (state.friends.length === 0) ul.append(el('li', { class: 'none', text: t('noFriends') }));
  for (const f of state.friends) {
    const conv = `dm:${f.id}`;
    const li = el(
      'li',
      {
        class: state.current?.conv === conv ? 'active' : '',
        dataset: { conv, testid: `friend-${f.handle}` },
        onclick: () => openConv({ conv, kind: 'dm', id: f.id, name: f.displayName, handle: f.handle }),
      },
      el('span', { class: 'name', text: f.displayName }),
      el('span', { class: 'sub', text: ` @${f.handle}` }),
      state.blocked.has(f.id) ? el('span', { class: 'tag', text: t('blocked') }) : null,
    );
    ul.append(li);
  }
}

function renderGroups() {
  const ul = $('groups');
  ul.replaceChildren();
  if (state.groups.length === 0) ul.append(el('li', { class: 'none', text: t('noGroups') }));
  for (const g of state.groups) {
    const conv = `group:${g.id}`;
    ul.append(
      el(
        'li',
        {
          class: state.current?.conv === conv ? 'active' : '',
          dataset: { conv, testid: `group-${g.name}` },
          onclick: () =>
            openConv({ conv, kind: 'group', id: g.id, name: g.name, memberCount: g.memberCount }),
        },
        el('span', { class: 'name', text: `# ${g.name}` }),
        el('span', { class: 'sub', text: ` ${g.memberCount}` }),
      ),
    );
  }
  if (state.current?.kind === 'group') {
    const g = state.groups.find((x) => x.id === state.current.id);
    if (g) {
      state.current.memberCount = g.memberCount;
      renderHead();
    }
  }
}

$('friend-form').onsubmit = async (ev) => {
  ev.preventDefault();
  const handle = $('friend-handle').value.trim();
  if (!handle) return;
  try {
    await api('POST', '/api/friends', { handle });
    $('friend-handle').value = '';
    await loadFriends();
  } catch (e) {
    toast(e.message, 'error');
  }
};
$('group-form').onsubmit = async (ev) => {
  ev.preventDefault();
  const name = $('group-name').value.trim();
  if (!name) return;
  try {
    const g = await api('POST', '/api/groups', { name });
    $('group-name').value = '';
    await loadGroups();
    openConv({ conv: `group:${g.id}`, kind: 'group', id: g.id, name: g.name, memberCount: g.memberCount });
  } catch (e) {
    toast(e.message, 'error');
  }
};
$('join-form').onsubmit = async (ev) => {
  ev.preventDefault();
  const id = $('group-id').value.trim();
  if (!id) return;
  try {
    await api('POST', `/api/groups/${encodeURIComponent(id)}/join`);
    $('group-id').value = '';
    await loadGroups();
  } catch (e) {
    toast(e.message, 'error');
  }
};
$('profile-form').onsubmit = async (ev) => {
  ev.preventDefault();
  try {
    const u = await api('PUT', '/api/me/profile', { displayName: $('profile-name').value.trim() });
    state.me = u;
    $('me-name').textContent = `${u.displayName} (@${u.handle})`;
  } catch (e) {
    toast(e.message, 'error');
  }
};

// ---------- conversation ----------
async function openConv(c) {
  state.current = c;
  state.messages = new Map();
  document.querySelector(`[data-conv="${CSS.escape(c.conv)}"]`)?.classList.remove('unread', 'warned');
  $('conv-empty').hidden = true;
  $('conv-main').hidden = false;
  $('send-status').textContent = '';
  renderFriends();
  renderGroups();
  renderHead();
  const r = await api('GET', `/api/conversations/${encodeURIComponent(c.conv)}/messages`);
  if (state.current !== c) return;
  for (const m of r.messages) state.messages.set(m.id, m);
  state.warnings = state.warnings.filter((w) => w.conv !== c.conv).concat(r.warnings);
  renderWarnings();
  renderMessages();
  $('text').focus();
}

function renderHead() {
  const c = state.current;
  if (!c) return;
  $('conv-title').textContent = c.kind === 'group' ? `# ${c.name}` : c.name;
  $('conv-sub').textContent =
    c.kind === 'group' ? t('members', { n: c.memberCount ?? '', id: c.id }) : `@${c.handle}`;
  $('act-block').hidden = c.kind !== 'dm';
  $('act-block').textContent = t(state.blocked.has(c.id) ? 'unblock' : 'block');
  $('act-unfriend').hidden = c.kind !== 'dm';
  $('act-leave').hidden = c.kind !== 'group';
}

$('act-block').onclick = async () => {
  const c = state.current;
  if (state.blocked.has(c.id)) await api('DELETE', `/api/blocks/${encodeURIComponent(c.id)}`);
  else {
    if (!confirm(t('confirmBlock'))) return;
    await api('POST', '/api/blocks', { user: c.id });
  }
  await loadFriends();
  renderHead();
};
$('act-unfriend').onclick = async () => {
  await api('DELETE', `/api/friends/${encodeURIComponent(state.current.id)}`);
  closeConv();
  await loadFriends();
};
$('act-leave').onclick = async () => {
  await api('POST', `/api/groups/${encodeURIComponent(state.current.id)}/leave`);
  closeConv();
  await loadGroups();
};
function closeConv() {
  state.current = null;
  $('conv-main').hidden = true;
  $('conv-empty').hidden = false;
}

function renderWarnings() {
  const box = $('warnings');
  box.replaceChildren();
  if (!state.current) return;
  for (const w of state.warnings.filter((x) => x.conv === state.current.conv)) {
    box.append(
      el(
        'div',
        { class: 'banner warning', role: 'alert', dataset: { testid: 'warning-banner' } },
        el('strong', { text: `⚠ ${t('warningTitle')}: ` }),
        el('span', { text: pick(w.en, w.zh) }),
        el('button', {
          class: 'link',
          text: t('dismiss'),
          onclick: async () => {
            await api('DELETE', `/api/warnings/${encodeURIComponent(w.id)}`);
            state.warnings = state.warnings.filter((x) => x.id !== w.id);
            renderWarnings();
          },
        }),
      ),
    );
  }
}

function linkify(text) {
  const frag = document.createDocumentFragment();
  const re = /\bhttps?:\/\/[^\s<>"'）》】]+|\bwww\.[^\s<>"'）》】]+/giu;
  let last = 0;
  for (const m of text.matchAll(re)) {
    const url = m[0].replace(/[.,;:!?，。；：！？)\]]+$/u, '');
    frag.append(text.slice(last, m.index));
    const href = url.startsWith('www.') ? `https://${url}` : url;
    frag.append(el('a', { href, target: '_blank', rel: 'noopener noreferrer nofollow ugc', text: url }));
    last = m.index + url.length;
  }
  frag.append(text.slice(last));
  return frag;
}

function renderMessages() {
  const ol = $('messages');
  const atBottom = ol.scrollTop + ol.clientHeight >= ol.scrollHeight - 40;
  ol.replaceChildren();
  const list = [...state.messages.values()].sort((a, b) => a.createdAt - b.createdAt);
  for (const m of list) {
    const mine = m.sender === state.me.id;
    const li = el('li', {
      class: `msg ${mine ? 'mine' : ''} ${m.state}`,
      dataset: { id: m.id, testid: 'message', state: m.state },
    });
    li.append(
      el(
        'div',
        { class: 'meta' },
        el('span', { class: 'who', text: mine ? t('you') : m.senderName }),
        el('time', { text: new Date(m.createdAt).toLocaleTimeString(getLang()) }),
      ),
    );
    if (m.state === 'retracted') {
      li.append(
        el('div', { class: 'placeholder', dataset: { testid: 'retracted' }, text: `⊘ ${t('retracted')}` }),
      );
    } else {
      const body = el('div', { class: 'body' });
      if (m.text) body.append(el('p', {}, linkify(m.text)));
      for (const a of m.attachments)
        body.append(
          el('img', {
            src: `/api/attachments/${a.sha256}`,
            alt: t('image'),
            loading: 'lazy',
            class: 'image',
            dataset: { sha: a.sha256 },
          }),
        );
      li.append(body);
      if (m.state === 'held') li.append(el('div', { class: 'note', text: t('held') }));
      if (m.state === 'expired') li.append(el('div', { class: 'note', text: t('expired') }));
      if (!mine && m.state === 'delivered') li.append(reportMenu(m));
    }
    ol.append(li);
  }
  if (atBottom) ol.scrollTop = ol.scrollHeight;
}

function reportMenu(m) {
  const sel = el(
    'select',
    { class: 'report', 'aria-label': t('report'), dataset: { testid: 'report' } },
    el('option', { value: '', text: `⚑ ${t('report')}` }),
    el('option', { value: 'spam', text: t('reportSpam') }),
    el('option', { value: 'scam', text: t('reportScam') }),
    el('option', { value: 'not_my_friend', text: t('reportNotFriend') }),
  );
  sel.onchange = async () => {
    if (!sel.value) return;
    try {
      await api('POST', `/api/messages/${encodeURIComponent(m.id)}/report`, { reason: sel.value });
      toast(t('reported'));
    } catch (e) {
      toast(e.message, 'error');
    }
    sel.value = '';
  };
  return sel;
}

$('image').onchange = () => {
  const f = $('image').files[0];
  state.attachment = f ?? null;
  $('attach-name').textContent = f ? f.name : '';
};

$('send-form').onsubmit = async (ev) => {
  ev.preventDefault();
  const c = state.current;
  if (!c || state.frozen) return;
  const text = $('text').value;
  if (!text.trim() && !state.attachment) return;
  $('send-status').textContent = '';
  $('send-status').className = 'send-status';
  try {
    const attachments = [];
    if (state.attachment) {
      const a = await api('POST', '/api/uploads', state.attachment, state.attachment.type);
      attachments.push(a.sha256);
    }
    const r = await api('POST', '/api/messages', {
      to: c.kind === 'dm' ? { user: c.id } : { group: c.id },
      text,
      attachments,
    });
    $('text').value = '';
    $('image').value = '';
    state.attachment = null;
    $('attach-name').textContent = '';
    if (state.current === c) {
      state.messages.set(r.message.id, r.message);
      renderMessages();
    }
    if (r.status === 'held') {
      const why = (r.reasons ?? []).map((x) => pick(x.en, x.zh)).join('; ');
      $('send-status').textContent = why ? `${t('heldNotice')} (${why})` : t('heldNotice');
      $('send-status').className = 'send-status warn';
    }
  } catch (e) {
    if (e.code === 'MESSAGE_BLOCKED') {
      const reasons = (e.data.reasons ?? []).map((x) => pick(x.en, x.zh)).join('; ') || e.message;
      $('send-status').textContent = t('blockedNotice', { reasons });
      $('send-status').className = 'send-status error';
    } else if (e.code === 'ACCOUNT_FROZEN') {
      setFrozen(true, state.frozenReasons, e.data.reason);
    } else {
      $('send-status').textContent = e.message;
      $('send-status').className = 'send-status error';
    }
  }
};

function rerender() {
  if (!state.me) return;
  renderFrozen();
  renderFriends();
  renderGroups();
  if (state.current) {
    renderHead();
    renderWarnings();
    renderMessages();
  }
}

// ---------- start ----------
initQr({ api, applySession });
const mfa = initMfa({ api, applySession });
setLang(defaultLang());
$('lang').value = getLang();
setMode(false);
api('GET', '/api/me')
  .then(applySession)
  .catch(() => showAuth());
