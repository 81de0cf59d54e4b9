// Recovery over real HTTP: the owner's appeal with the case token, set-up while signed in, the friend's
// confirmation route, operator routes with recovery scopes, and bad input answered with 4xx problems.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Gatehouse } from '../gatehouse.ts';
import { fileBackend } from '../testing/backends.ts';
import { testGatehouse } from '../testing/index.ts';
import type { CodeMessage, CodeSender } from './senders.ts';

class CaptureSender implements CodeSender {
  readonly delivery = 'test-capture';
  readonly kinds = ['email', 'phone'] as const;
  readonly sent: CodeMessage[] = [];
  async send(msg: CodeMessage) {
    this.sent.push(msg);
  }
}

let gh: Gatehouse;
let cleanup: () => Promise<void>;
let url: string;
let opKey: string;
let readKey: string;
let accountsKey: string;
const sender = new CaptureSender();

before(async () => {
  // The flows here set factors up and appeal minutes later: no cooling-off and no friend delay (those
  // defences have their own tests in attacks.test.ts).
  ({ gh, cleanup } = await testGatehouse(
    fileBackend(import.meta),
    { recoveryFactorCoolingOffHours: 0, recoveryFriendDelayHours: 0 },
    { codeSender: sender },
  ));
  url = await gh.listen();
  opKey = (await gh.keys.create('recovery operator', ['recovery:read', 'recovery:write'])).key;
  readKey = (await gh.keys.create('recovery reader', ['recovery:read'])).key;
  accountsKey = (await gh.keys.create('accounts', ['accounts:read', 'accounts:write'])).key;
});
after(async () => cleanup?.());

async function call(method: string, path: string, opts: { token?: string; body?: unknown } = {}) {
  const headers: Record<string, string> = {};
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${path}`, {
    method,
    headers,
    body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
  });
  const text = await res.text();
  let json: Record<string, unknown> = {};
  try {
    json = JSON.parse(text);
  } catch {
    /* not JSON */
  }
  return { status: res.status, headers: res.headers, json, text };
}

function problem(r: Awaited<ReturnType<typeof call>>, status: number, code: string) {
  assert.equal(r.status, status, `expected ${status} ${code}, got ${r.status} ${r.text.slice(0, 300)}`);
  assert.equal(r.json.code, code);
  assert.match(r.headers.get('content-type') ?? '', /application\/problem\+json/);
  assert.equal(typeof r.json.titleZh, 'string');
}

async function signup(handle: string, password = 'plum blossom 1984') {
  const a = await call('POST', '/v1/accounts', { body: { handle, password } });
  assert.equal(a.status, 201, a.text);
  const s = await call('POST', '/v1/auth/signin', { body: { handle, password } });
  assert.equal(s.status, 200, s.text);
  return { id: a.json.id as string, token: s.json.token as string };
}

describe('recovery over HTTP', () => {
  test('owner set-up, freeze, appeal with a recovery code, pledge, password, review, finish, sign in', async () => {
    const me = await signup('zhang.wei');
    const codes = await call('POST', '/v1/me/recovery/codes', { token: me.token });
    assert.equal(codes.status, 200);
    const list = codes.json.codes as string[];
    assert.equal(list.length, 10);
    assert.equal((await call('GET', '/v1/me/recovery/codes', { token: me.token })).json.remaining, 10);

    // A verified email channel, with the code the (test) sender captured.
    const ch = await call('POST', '/v1/me/recovery/channels', {
      token: me.token,
      body: { kind: 'email', address: 'zhang.wei@example.cn' },
    });
    assert.equal(ch.status, 201, ch.text);
    const channelId = (ch.json.channel as { id: string }).id;
    problem(
      await call('POST', `/v1/me/recovery/channels/${channelId}/verify`, {
        token: me.token,
        body: { code: '1' },
      }),
      401,
      'RECOVERY_CODE_INVALID',
    );
    const v = await call('POST', `/v1/me/recovery/channels/${channelId}/verify`, {
      token: me.token,
      body: { code: sender.sent.at(-1)!.code },
    });
    assert.equal(v.json.verified, true);

    // The account is taken over and frozen by an operator (or the response part).
    const fr = await call('POST', `/v1/accounts/${me.id}/freeze`, {
      token: accountsKey,
      body: { reason: 'hijack: mass spam', kind: 'containment' },
    });
    assert.equal(fr.status, 200, fr.text);

    const appeal = await call('POST', '/v1/recovery/appeals', { body: { handle: 'ZHANG.WEI' } });
    assert.equal(appeal.status, 201, appeal.text);
    const token = appeal.json.token as string;
    const caseId = (appeal.json.case as { id: string }).id;
    const methods = appeal.json.methods as Array<{ kind: string; available: boolean }>;
    assert.ok(methods.find((m) => m.kind === 'recovery_code')?.available);
    assert.ok(methods.find((m) => m.kind === 'email_code')?.available);

    const view = await call('GET', '/v1/recovery/case', { token });
    assert.equal((view.json.case as { state: string }).state, 'opened');

    const start = await call('POST', '/v1/recovery/case/verification', {
      token,
      body: { method: 'recovery_code' },
    });
    assert.equal(start.status, 200, start.text);
    assert.ok((start.json.instructions as { zh: string }).zh.length > 0);
    problem(
      await call('POST', '/v1/recovery/case/verification/answer', {
        token,
        body: { code: 'ZZZZ-ZZZZ-ZZZZ' },
      }),
      401,
      'RECOVERY_CODE_INVALID',
    );
    const ok = await call('POST', '/v1/recovery/case/verification/answer', {
      token,
      body: { code: list[0] },
    });
    assert.equal(ok.status, 200, ok.text);
    assert.equal((ok.json.case as { state: string }).state, 'verified');

    const pledge = await call('GET', '/v1/recovery/pledge');
    assert.match(pledge.json.zh as string, /本人确认/);
    problem(
      await call('POST', '/v1/recovery/case/pledge', {
        token,
        body: { version: pledge.json.version, accept: false },
      }),
      400,
      'VALIDATION_FAILED',
    );
    const pl = await call('POST', '/v1/recovery/case/pledge', {
      token,
      body: { version: pledge.json.version, accept: true },
    });
    // every step answers {case, …} (issue 20): the pledge too
    assert.equal((pl.json.case as { state: string }).state, 'pledged');

    const weak = await call('POST', '/v1/recovery/case/password', {
      token,
      body: { newPassword: 'password123' },
    });
    problem(weak, 400, 'WEAK_PASSWORD');
    const pw = await call('POST', '/v1/recovery/case/password', {
      token,
      body: { newPassword: 'bamboo kettle 2026 dawn' },
    });
    assert.equal(pw.status, 200, pw.text);

    const sessions = await call('GET', '/v1/recovery/case/sessions', { token });
    assert.equal(sessions.status, 200, sessions.text);
    assert.ok(Array.isArray(sessions.json.sessions));
    problem(
      await call('POST', '/v1/recovery/case/sessions/review', { token, body: { keep: ['ses_nope'] } }),
      400,
      'RECOVERY_SESSIONS_UNDECIDED',
    );
    const rev = await call('POST', '/v1/recovery/case/sessions/review', { token, body: {} });
    assert.equal((rev.json.case as { sessionsReviewed: boolean }).sessionsReviewed, true);

    const fin = await call('POST', '/v1/recovery/case/finish', { token });
    assert.equal(fin.status, 200, fin.text);
    assert.equal((fin.json.case as { state: string }).state, 'restored');
    const md = await call('GET', '/v1/recovery/case/report?format=markdown&lang=zh', { token });
    assert.match(md.headers.get('content-type') ?? '', /text\/markdown/);
    assert.match(md.text, /您现在应该做什么/);
    const en = await call('GET', '/v1/recovery/case/report?format=markdown&lang=en', { token });
    assert.match(en.text, /What you should do now/);
    const json = await call('GET', '/v1/recovery/case/report', { token });
    assert.equal(json.json.case, caseId);

    // Every step is in the hash-chained audit log, in the same transactions; the chain verifies.
    const audit = await gh.audit.list({ subject: `case:${caseId}`, limit: 100 });
    const actions = audit.map((e) => e.action);
    for (const step of ['opened', 'verified', 'pledged', 'password_changed', 'restored'])
      assert.ok(actions.includes(`recovery.case.${step}`), step);
    const accountAudit = (await gh.audit.list({ subject: me.id, limit: 100 })).map((e) => e.action);
    assert.ok(accountAudit.includes('account.password_reset'));
    assert.ok(accountAudit.includes('account.unfreeze'));
    assert.equal((await gh.audit.verify()).ok, true);

    const again = await call('POST', '/v1/auth/signin', {
      body: { handle: 'zhang.wei', password: 'bamboo kettle 2026 dawn' },
    });
    assert.equal(again.status, 200, again.text);

    // Operator view: list, full history, report; a read-only key cannot reject; no key is refused.
    const cases = await call('GET', '/v1/recovery/cases?state=restored', { token: readKey });
    assert.ok((cases.json.cases as Array<{ id: string }>).some((c) => c.id === caseId));
    const detail = await call('GET', `/v1/recovery/cases/${caseId}`, { token: readKey });
    const steps = (detail.json.history as Array<{ step: string }>).map((h) => h.step);
    assert.deepEqual(steps.slice(0, 2), ['opened', 'verifying']);
    assert.equal(steps.at(-1), 'restored');
    problem(
      await call('POST', `/v1/recovery/cases/${caseId}/reject`, { token: readKey, body: { reason: 'x' } }),
      403,
      'API_KEY_SCOPE',
    );
    problem(await call('GET', '/v1/recovery/cases'), 401, 'API_KEY_INVALID');
    problem(
      await call('POST', `/v1/recovery/cases/${caseId}/reject`, { token: opKey, body: { reason: 'late' } }),
      409,
      'RECOVERY_WRONG_STATE',
    );
  });

  test('operator opens, approves manually or rejects; friend routes need a session', async () => {
    const owner = await signup('wang.fang');
    const friend = await signup('li.na');
    const set = await call('PUT', '/v1/me/recovery/friends', {
      token: owner.token,
      body: { handles: ['li.na'] },
    });
    assert.deepEqual(set.json.friends, [{ handle: 'li.na' }]);
    await call('POST', `/v1/accounts/${owner.id}/freeze`, {
      token: accountsKey,
      body: { reason: 'hijack', kind: 'containment' },
    });

    const opened = await call('POST', '/v1/recovery/cases', { token: opKey, body: { account: owner.id } });
    assert.equal(opened.status, 201, opened.text);
    const caseId = (opened.json.case as { id: string }).id;
    const approved = await call('POST', `/v1/recovery/cases/${caseId}/approve`, {
      token: opKey,
      body: { note: 'video call with the owner' },
    });
    assert.equal(approved.json.state, 'verified');
    assert.equal(approved.json.verifiedBy, 'manual');
    const rejected = await call('POST', `/v1/recovery/cases/${caseId}/reject`, {
      token: opKey,
      body: { reason: 'owner withdrew' },
    });
    assert.equal(rejected.json.state, 'rejected');

    problem(
      await call('POST', '/v1/me/recovery/vouch', { body: { owner: 'wang.fang', code: 'AAAA-BBBB' } }),
      401,
      'UNAUTHENTICATED',
    );
    problem(
      await call('POST', '/v1/me/recovery/vouch', {
        token: friend.token,
        body: { owner: 'wang.fang', code: 'AAAA-BBBB' },
      }),
      403,
      'RECOVERY_FRIEND_NOT_TRUSTED',
    );
    const reqs = await call('GET', '/v1/me/recovery/vouch-requests', { token: friend.token });
    assert.deepEqual(reqs.json.requests, []);
  });

  test('trusted friends: 2 of 3 confirm through their own signed-in sessions', async () => {
    const owner = await signup('zhou.min');
    const fr = [await signup('wu.lan'), await signup('he.jun'), await signup('xu.ping')];
    await call('PUT', '/v1/me/recovery/friends', {
      token: owner.token,
      body: { handles: ['wu.lan', 'he.jun', 'xu.ping'] },
    });
    await call('POST', `/v1/accounts/${owner.id}/freeze`, {
      token: accountsKey,
      body: { reason: 'hijack', kind: 'containment' },
    });
    const appeal = await call('POST', '/v1/recovery/appeals', { body: { handle: 'zhou.min' } });
    const token = appeal.json.token as string;
    const start = await call('POST', '/v1/recovery/case/verification', {
      token,
      body: { method: 'trusted_friends' },
    });
    assert.equal(start.status, 200, start.text);
    const codes = start.json.friendCodes as Array<{ friend: string; code: string }>;
    assert.equal(codes.length, 3);
    assert.equal(start.json.needed, 2);
    const codeOf = (h: string) => codes.find((c) => c.friend === h)!.code;
    const reqs = await call('GET', '/v1/me/recovery/vouch-requests', { token: fr[0]!.token });
    assert.deepEqual(
      (reqs.json.requests as Array<{ owner: string }>).map((r) => r.owner),
      ['zhou.min'],
    );
    const one = await call('POST', '/v1/me/recovery/vouch', {
      token: fr[0]!.token,
      body: { owner: 'zhou.min', code: codeOf('wu.lan') },
    });
    assert.deepEqual([one.json.verified, one.json.confirmed, one.json.needed], [false, 1, 2]);
    // A friend cannot use another friend's code.
    problem(
      await call('POST', '/v1/me/recovery/vouch', {
        token: fr[1]!.token,
        body: { owner: 'zhou.min', code: codeOf('xu.ping') },
      }),
      401,
      'RECOVERY_CODE_INVALID',
    );
    const two = await call('POST', '/v1/me/recovery/vouch', {
      token: fr[2]!.token,
      body: { owner: 'zhou.min', code: codeOf('xu.ping') },
    });
    assert.deepEqual([two.json.verified, two.json.confirmed], [true, 2]);
    const view = await call('GET', '/v1/recovery/case', { token });
    assert.equal((view.json.case as { state: string }).state, 'verified');
    assert.deepEqual(view.json.friends, { confirmed: 2, needed: 2 });
  });

  test('bad input gets 4xx problems with stable codes', async () => {
    problem(await call('POST', '/v1/recovery/appeals', { body: {} }), 400, 'VALIDATION_FAILED');
    problem(
      await call('POST', '/v1/recovery/appeals', { body: { handle: 'x', extra: 1 } }),
      400,
      'VALIDATION_FAILED',
    );
    problem(
      await call('POST', '/v1/recovery/appeals', { body: { handle: 'nobody.here' } }),
      404,
      'RECOVERY_NOT_ELIGIBLE',
    );
    problem(await call('GET', '/v1/recovery/case'), 401, 'RECOVERY_TOKEN_INVALID');
    problem(await call('GET', '/v1/recovery/case', { token: 'ghr_forged' }), 401, 'RECOVERY_TOKEN_INVALID');
    problem(
      await call('POST', '/v1/recovery/case/verification', {
        token: `ghr_${'x'.repeat(43)}`,
        body: { method: 'sms' },
      }),
      400,
      'VALIDATION_FAILED',
    );
    problem(
      await call('GET', '/v1/recovery/cases/case_nope', { token: readKey }),
      404,
      'RECOVERY_CASE_NOT_FOUND',
    );
    problem(await call('GET', '/v1/recovery/cases?state=lost', { token: readKey }), 400, 'VALIDATION_FAILED');
    problem(
      await call('POST', '/v1/recovery/cases', { token: opKey, body: { account: 'acc_nope' } }),
      404,
      'ACCOUNT_NOT_FOUND',
    );
    const u = await signup('chen.jie');
    problem(
      await call('POST', '/v1/recovery/cases', { token: opKey, body: { account: u.id } }),
      409,
      'ACCOUNT_NOT_FROZEN',
    );
    problem(
      await call('POST', '/v1/me/recovery/channels', {
        token: u.token,
        body: { kind: 'fax', address: '12345' },
      }),
      400,
      'VALIDATION_FAILED',
    );
    problem(
      await call('POST', '/v1/me/recovery/channels', {
        token: u.token,
        body: { kind: 'phone', address: '138 0013' },
      }),
      400,
      'VALIDATION_FAILED',
    );
    problem(
      await call('PUT', '/v1/me/recovery/friends', { token: u.token, body: { handles: ['ghost.user'] } }),
      400,
      'VALIDATION_FAILED',
    );
    problem(
      await call('DELETE', '/v1/me/recovery/channels/chn_nope', { token: u.token }),
      404,
      'RECOVERY_CHANNEL_NOT_FOUND',
    );
    const doc = await call('GET', '/openapi.json');
    const paths = doc.json.paths as Record<string, unknown>;
    for (const p of [
      '/v1/recovery/appeals',
      '/v1/recovery/case/finish',
      '/v1/recovery/cases/{id}',
      '/v1/me/recovery/vouch',
    ])
      assert.ok(p in paths, p);
  });
});
