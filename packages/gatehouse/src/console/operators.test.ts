// Operator accounts of the web console over HTTP, on SQLite and PostgreSQL: sign-in needs the password
// and a fresh authenticator code; the cookie is HttpOnly and SameSite=Strict; roles are checked by the
// server on the parts' own routes. Attacks: no session, a viewer freezing, a cross-site POST without the
// CSRF token, a replayed code, a guessed code, a burst of guesses, a signed-out or disabled operator's
// cookie. Every operator request that changes state is in the audit log, and the chain verifies.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { harness, ok, refused, signUp, type Harness } from '../recovery/attack-harness.ts';
import { describeBackends } from '../testing/backends.ts';
import { postgresSkip } from '../testing/index.ts';
import { consoleCookieName } from './auth.ts';
import { addOperator, codeOf, rawCall, signInOperator, type TestOperator } from './test-operators.ts';

describeBackends('console operators', (backend) => {
  let h: Harness;
  let skip: string | undefined;
  let viewer: TestOperator;
  let responder: TestOperator;
  let admin: TestOperator;
  before(async () => {
    if (backend === 'postgres') skip = await postgresSkip();
    if (skip) return;
    h = await harness(backend);
    viewer = await addOperator(h.gh, 'ops.viewer', 'viewer');
    responder = await addOperator(h.gh, 'ops.responder', 'responder');
    admin = await addOperator(h.gh, 'ops.admin', 'admin');
  });
  after(async () => h?.cleanup());

  test('no session: 401 on console and operator routes', async (tt) => {
    if (skip) return tt.skip(skip);
    refused(await rawCall(h.url, 'GET', '/v1/console/session'), 401, 'UNAUTHENTICATED');
    refused(await rawCall(h.url, 'GET', '/v1/console/overview'), 401, 'API_KEY_INVALID');
    refused(await rawCall(h.url, 'GET', '/v1/incidents'), 401, 'API_KEY_INVALID');
    // a forged cookie is no session either
    refused(
      await rawCall(h.url, 'GET', '/v1/incidents', {
        headers: { cookie: `${consoleCookieName(h.gh.config)}=gho_forged` },
      }),
      401,
      'UNAUTHENTICATED',
    );
  });

  test('sign-in: password + code sets an HttpOnly SameSite=Strict cookie; a replayed or wrong code is refused', async (tt) => {
    if (skip) return tt.skip(skip);
    const r = await rawCall(h.url, 'POST', '/v1/console/signin', {
      body: { handle: viewer.handle, password: viewer.password, code: codeOf(viewer, -1) },
    });
    ok(r);
    const set = r.headers.getSetCookie().find((c) => c.startsWith(`${consoleCookieName(h.gh.config)}=`))!;
    assert.match(set, /HttpOnly/i);
    assert.match(set, /SameSite=Strict/i);
    assert.equal((r.json.operator as { role: string }).role, 'viewer');
    assert.ok(!r.text.includes('gho_'), 'the token is only in the cookie');
    // the same code again (a relayed or replayed code) is refused, as is the password with a wrong code
    refused(
      await rawCall(h.url, 'POST', '/v1/console/signin', {
        body: { handle: viewer.handle, password: viewer.password, code: codeOf(viewer, -1) },
      }),
      401,
      'OPERATOR_SIGNIN_FAILED',
    );
    const wrong = codeOf(viewer) === '000000' ? '111111' : '000000';
    refused(
      await rawCall(h.url, 'POST', '/v1/console/signin', {
        body: { handle: viewer.handle, password: viewer.password, code: wrong },
      }),
      401,
      'OPERATOR_SIGNIN_FAILED',
    );
    // the right code with a wrong password, and an unknown name, answer the same
    refused(
      await rawCall(h.url, 'POST', '/v1/console/signin', {
        body: { handle: viewer.handle, password: 'not the password', code: codeOf(viewer, 1) },
      }),
      401,
      'OPERATOR_SIGNIN_FAILED',
    );
    refused(
      await rawCall(h.url, 'POST', '/v1/console/signin', {
        body: { handle: 'ops.nobody', password: 'x', code: '123456' },
      }),
      401,
      'OPERATOR_SIGNIN_FAILED',
    );
  });

  test('a burst of guesses at one operator is rate-limited before the password is checked', async (tt) => {
    if (skip) return tt.skip(skip);
    const target = await addOperator(h.gh, `ops.burst.${backend}`, 'admin');
    let limited = 0;
    for (let i = 0; i < 12; i++) {
      const r = await rawCall(h.url, 'POST', '/v1/console/signin', {
        body: { handle: target.handle, password: `guess ${i}`, code: '123456' },
      });
      if (r.status === 429) limited++;
      else refused(r, 401, 'OPERATOR_SIGNIN_FAILED');
    }
    assert.ok(limited >= 2, `limited ${limited}`);
    // even the right password and code are not checked while limited
    refused(
      await rawCall(h.url, 'POST', '/v1/console/signin', {
        body: { handle: target.handle, password: target.password, code: codeOf(target) },
      }),
      429,
      'RATE_LIMITED',
    );
  });

  test('roles are checked by the server: a viewer reads but cannot freeze; a responder freezes', async (tt) => {
    if (skip) return tt.skip(skip);
    const victim = await signUp(h, `console.victim.${backend}`);
    const v = await signInOperator(h.url, viewer, 0);
    ok(await v.call('GET', `/v1/accounts/${victim.id}`));
    refused(
      await v.call('POST', `/v1/accounts/${victim.id}/freeze`, { body: { reason: 'viewer tries' } }),
      403,
      'OPERATOR_ROLE',
    );
    refused(
      await v.call('POST', '/v1/console/operators', { body: { handle: 'x.y.z', role: 'admin' } }),
      403,
      'OPERATOR_ROLE',
    );
    assert.equal((await h.gh.identity.getAccount(victim.id)).state, 'active');

    const r = await signInOperator(h.url, responder, 0);
    // a cross-site POST: the browser sends the cookie (were it not SameSite) but cannot know the token
    refused(
      await r.call('POST', `/v1/accounts/${victim.id}/freeze`, { body: { reason: 'forged' }, csrf: false }),
      403,
      'CSRF_FAILED',
    );
    refused(
      await r.call('POST', `/v1/accounts/${victim.id}/freeze`, { body: { reason: 'forged' }, csrf: v.csrf }),
      403,
      'CSRF_FAILED',
    );
    assert.equal((await h.gh.identity.getAccount(victim.id)).state, 'active');
    const frozen = ok(
      await r.call('POST', `/v1/accounts/${victim.id}/freeze`, {
        body: { reason: 'hijacked: sending scam links', kind: 'containment' },
      }),
    );
    assert.equal(frozen.json.state, 'frozen');
    assert.equal(frozen.json.freezeKind, 'containment');
    // the responder cannot manage operators
    refused(await r.call('GET', '/v1/console/operators'), 403, 'OPERATOR_ROLE');

    // the audit log has the freeze and the operator's request, with who did it; the chain verifies
    const audit = ok(await h.call('GET', '/v1/audit?limit=200', { key: h.op })).json.entries as {
      actor: string;
      action: string;
      subject: string;
      data: Record<string, unknown>;
    }[];
    const request = audit.find(
      (e) => e.action === 'console.request' && e.subject === victim.id && e.data.status === 200,
    );
    assert.ok(request, 'the freeze request is audited');
    assert.equal(request.actor, 'operator:ops.responder');
    const refusedEntry = audit.find((e) => e.action === 'console.request' && e.data.status === 403);
    assert.ok(refusedEntry, 'a refused request is audited too');
    assert.ok(audit.some((e) => e.action === 'account.freeze' && e.subject === victim.id));
    assert.ok(audit.some((e) => e.action === 'operator.signin' && e.actor === 'operator:ops.viewer'));
    assert.equal((await h.gh.audit.verify()).ok, true);
  });

  test('admin creates operators over HTTP; sign-out and disabling end the cookie', async (tt) => {
    if (skip) return tt.skip(skip);
    const a = await signInOperator(h.url, admin, 0);
    const made = ok(
      await a.call('POST', '/v1/console/operators', { body: { handle: 'ops.new', role: 'analyst' } }),
      201,
    );
    assert.match((made.json.totp as { otpauthUri: string }).otpauthUri, /^otpauth:\/\/totp\//);
    const list = ok(await a.call('GET', '/v1/console/operators')).json.operators as {
      handle: string;
      id: string;
    }[];
    assert.ok(list.some((o) => o.handle === 'ops.new'));

    const n: TestOperator = {
      handle: 'ops.new',
      password: made.json.password as string,
      secret: (made.json.totp as { secret: string }).secret,
      role: 'analyst',
    };
    const c = await signInOperator(h.url, n, 0);
    ok(await c.call('GET', '/v1/console/session'));
    ok(
      await a.call('POST', `/v1/console/operators/${(made.json.operator as { id: string }).id}/disable`),
      204,
    );
    refused(await c.call('GET', '/v1/console/session'), 401, 'UNAUTHENTICATED');

    ok(await a.call('POST', '/v1/console/signout'), 204);
    refused(await a.call('GET', '/v1/console/session'), 401, 'UNAUTHENTICATED');
    refused(await a.call('GET', '/v1/incidents'), 401, 'UNAUTHENTICATED');
  });
});
