/**
 * Issue 13 item 8, containment and recovery of third-party apps, with the real grants port wired into
 * recovery, over HTTP on SQLite and PostgreSQL. The owner authorised apps days before; the intruder
 * authorises a new app AND a second grant of an app the owner already uses (to hide in the list), and
 * reads through both. Recovery's grant review must judge each grant (the second grant of the owner's app
 * counts as authorised in the window), the revocations chosen at the review must take effect, and the
 * owner's report (zh and en) must name the apps and the fields they read in the window. Then the
 * containment fallbacks: `revoke_grants` with `scope: all`, and an intruder session that authorised
 * nothing (every grant of the account goes).
 */
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as oidc from 'openid-client';
import { DEFAULT_POLICY_FILE } from '../response/policy-manager.ts';
import type { OwnerReport } from '../recovery/report.ts';
import type { DecisionInput } from '../response/types.ts';
import { describeBackends } from '../testing/backends.ts';
import { tempDir } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import { TestBrowser } from './test-browser.ts';
import { addApp, authorise, fixture, PASSWORD, REDIRECT, rp, type Fixture } from './test-fixture.ts';
import type { GrantsPort } from '../recovery/ports.ts';

const DAY = 86_400_000;

/** The shipped policy, plus a rule revoking every app grant for takeovers seen on a profile change. */
function policyWithRevokeAll(): string {
  const text = readFileSync(DEFAULT_POLICY_FILE, 'utf8');
  const rule = `rules:
  - id: contain-revoke-every-app
    description: test rule, a takeover seen on a profile change revokes every app grant
    when:
      decision: [contain]
      eventType: [profile.changed]
    actions:
      - freeze_account: { kind: containment }
      - revoke_sessions: { scope: intruder }
      - revoke_grants: { scope: all }
    stop: true
`;
  assert.ok(text.includes('\nrules:\n'));
  return text.replace('\nrules:\n', `\n${rule}`);
}

/** A grant as recovery's review lists it (the grants port's answer). */
type ReviewGrant = Awaited<ReturnType<GrantsPort['list']>>[number];
interface Review {
  sessions: Array<{ id: string; live: boolean; duringCompromise: boolean }>;
  grants: ReviewGrant[] | null;
  mustRevoke: string[];
}

describeBackends('recovery reviews the apps of the compromise window', (backend) => {
  let f: Fixture;
  const dir = tempDir();
  before(async () => {
    const policyFile = join(dir.dir, 'policy.yaml');
    writeFileSync(policyFile, policyWithRevokeAll());
    f = await fixture(backend, { policyFile });
  });
  after(async () => {
    await f?.cleanup();
    dir.cleanup();
  });

  async function call<T = unknown>(method: string, path: string, token?: string, body?: unknown): Promise<T> {
    const res = await fetch(`${f.url}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    assert.ok(res.status < 300, `${method} ${path}: ${res.status} ${text.slice(0, 400)}`);
    return (text && res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text) as T;
  }

  /** A new account with recovery codes, made and signed in over HTTP. */
  async function owner(handle: string) {
    await call('POST', '/v1/accounts', undefined, {
      handle,
      displayName: `${handle} 本人`,
      password: PASSWORD,
    });
    const s = await call<{ token: string; account: { id: string } }>('POST', '/v1/auth/signin', undefined, {
      handle,
      password: PASSWORD,
    });
    const codes = (await call<{ codes: string[] }>('POST', '/v1/me/recovery/codes', s.token)).codes;
    return { id: s.account.id, token: s.token, codes };
  }

  /** Code flow + PKCE in `browser` (signing in as `handle` when it has no session); returns the tokens. */
  async function authoriseApp(
    app: { id: string; secret: string | null },
    browser: TestBrowser,
    handle: string,
    scope: string,
  ) {
    const config = await rp(f.url, app);
    const verifier = oidc.randomPKCECodeVerifier();
    const url = oidc.buildAuthorizationUrl(config, {
      redirect_uri: REDIRECT,
      scope,
      prompt: 'consent',
      code_challenge: await oidc.calculatePKCECodeChallenge(verifier),
      code_challenge_method: 'S256',
    });
    const cb = await authorise(browser, url.toString(), { handle });
    const tokens = await oidc.authorizationCodeGrant(config, cb, {
      pkceCodeVerifier: verifier,
      expectedState: oidc.skipStateCheck,
    });
    return tokens.access_token;
  }

  /** A read through the resource API (`/v1/apps/me` or `/v1/apps/me/friends`); returns the status. */
  async function read(accessToken: string, what: 'me' | 'me/friends' = 'me') {
    const r = await fetch(`${f.url}/v1/apps/${what}`, {
      headers: { authorization: `Bearer ${accessToken}` },
    });
    await r.arrayBuffer();
    return r.status;
  }

  const sessionOf = async (b: TestBrowser) =>
    (await f.gh.identity.authenticate(b.cookie('__Host-gh_session')!)).session.id;

  /** The account's live grants per app, as the owner's apps page lists them. */
  const grantsByApp = async (account: string) =>
    new Map((await f.gh.oauth.userApps(account)).map((a) => [a.client, [...a.grants].sort()]));

  /** Moves a grant, and every read made under it so far, `days` into the past. */
  async function backdate(grants: string[], days: number) {
    await f.gh.oauth.accessLog.flush();
    const db = f.gh.store.db;
    await db
      .updateTable('oauth_models')
      .set((eb) => ({ created_at: eb('created_at', '-', days * DAY) }))
      .where('model', '=', 'Grant')
      .where('id', 'in', grants)
      .execute();
    await db
      .updateTable('oauth_access_log')
      .set((eb) => ({ at: eb('at', '-', days * DAY) }))
      .where('grant_id', 'in', grants)
      .execute();
  }

  /** Waits until the engine knows when `session` signed in (the compromise window starts there). */
  async function engineKnows(account: string, session: string) {
    await until(async () => {
      await f.gh.drainer.drain();
      await f.gh.engine.drain();
      const probe = Date.now() + 60_000;
      return (await f.gh.engine.messageLog.compromiseStart(account, session, probe)) < probe || undefined;
    }, 'the engine to see the intruder sign-in');
  }

  /** The response part contains the account on a decision about `session`. */
  async function contain(
    account: string,
    session: string,
    eventType: DecisionInput['eventType'] = 'message.sent',
  ) {
    const steps = await f.gh.response.handle({
      id: `dec-${account}`,
      account,
      session,
      time: Date.now(),
      action: 'contain',
      risk: 0.99,
      eventType,
      eventId: `ev-${account}`,
      signals: [],
      reasons: [],
    });
    assert.ok(
      steps.some((s) => s.kind === 'freeze_account' && s.status === 'done'),
      JSON.stringify(steps),
    );
    return steps;
  }

  /** The owner's appeal up to the session review: verified with a recovery code, pledged, new password. */
  async function appealToReview(handle: string, code: string) {
    const token = (await call<{ token: string }>('POST', '/v1/recovery/appeals', undefined, { handle }))
      .token;
    await call('POST', '/v1/recovery/case/verification', token, { method: 'recovery_code' });
    await call('POST', '/v1/recovery/case/verification/answer', token, { code });
    const window = (
      await call<{ case: { window: { start: number; end: number } } }>('GET', '/v1/recovery/case', token)
    ).case.window;
    const pledge = await call<{ version: string }>('GET', '/v1/recovery/pledge');
    await call('POST', '/v1/recovery/case/pledge', token, { version: pledge.version, accept: true });
    await call('POST', '/v1/recovery/case/password', token, { newPassword: 'a brand new passphrase 2026' });
    const review = await call<Review>('GET', '/v1/recovery/case/sessions', token);
    return { token, window, review };
  }

  /** Reviews (every live session revoked, grants kept or revoked as given), finishes; the report, zh and en. */
  async function finish(token: string, review: Review, grants: { keep: string[]; revoke: string[] }) {
    await call('POST', '/v1/recovery/case/sessions/review', token, {
      keep: [],
      revoke: review.sessions.filter((s) => s.live).map((s) => s.id),
      keepGrants: grants.keep,
      revokeGrants: grants.revoke,
    });
    const done = await call<{ case: { state: string }; report: OwnerReport }>(
      'POST',
      '/v1/recovery/case/finish',
      token,
    );
    assert.equal(done.case.state, 'restored');
    const md = async (lang: string) =>
      call<string>('GET', `/v1/recovery/case/report?format=markdown&lang=${lang}`, token);
    return { report: done.report, zh: await md('zh'), en: await md('en') };
  }

  test('a second grant of an app the owner already uses, made in the window, is flagged, revoked and reported', async () => {
    const me = await owner('mei');
    const album = await addApp(f.gh, { name: { en: 'Photo Album', zh: '相册' }, scopes: ['nickname'] });
    const steps = await addApp(f.gh, { name: { en: 'Step Counter', zh: '计步器' }, scopes: ['nickname'] });
    const coins = await addApp(f.gh, {
      name: { en: 'Free Coins', zh: '免费Q币' },
      scopes: ['nickname', 'friends'],
      reviewedScopes: ['friends'],
    });
    const quiz = await addApp(f.gh, { name: { en: 'Quick Quiz', zh: '小测验' }, scopes: ['nickname'] });

    // Days before: the owner authorises the album and the step counter, and each reads once.
    const ownBrowser = new TestBrowser();
    const albumOwn = await authoriseApp(album, ownBrowser, 'mei', 'openid nickname');
    const stepsOwn = await authoriseApp(steps, ownBrowser, 'mei', 'openid nickname');
    assert.equal(await read(albumOwn), 200);
    assert.equal(await read(stepsOwn), 200);
    const before = await grantsByApp(me.id);
    const [albumGrant] = before.get(album.id)!;
    const [stepsGrant] = before.get(steps.id)!;
    await backdate([albumGrant!, stepsGrant!], 3);

    // The intruder signs in on one browser (S1) and authorises a quiz; the engine learns of S1.
    const intruder1 = new TestBrowser({ userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/120 intruder' });
    const quizToken = await authoriseApp(quiz, intruder1, 'mei', 'openid nickname');
    const s1 = await sessionOf(intruder1);
    await engineKnows(me.id, s1);
    assert.equal(await read(quizToken), 200);
    // ... and on a second browser (S2) authorises the coins app AND the owner's album a second time,
    // reading through both
    const intruder2 = new TestBrowser({ userAgent: 'Mozilla/5.0 (X11; Linux) Firefox/115 intruder' });
    const coinsToken = await authoriseApp(coins, intruder2, 'mei', 'openid nickname friends');
    const albumIntruder = await authoriseApp(album, intruder2, 'mei', 'openid nickname');
    assert.equal(await read(coinsToken), 200);
    assert.equal(await read(coinsToken, 'me/friends'), 200);
    assert.equal(await read(albumIntruder), 200);
    const during = await grantsByApp(me.id);
    const albumGrants = during.get(album.id)!;
    assert.equal(albumGrants.length, 2, 'the intruder made a second grant of the album');
    const albumIntruderGrant = albumGrants.find((g) => g !== albumGrant)!;
    const [coinsGrant] = during.get(coins.id)!;

    // Containment names S1: the grant S1 made (the quiz) goes; the others wait for the owner's review.
    await contain(me.id, s1);
    const contained = await grantsByApp(me.id);
    assert.equal(
      contained.get(quiz.id),
      undefined,
      "containment revoked the grant of the intruder's session",
    );
    assert.deepEqual(contained.get(album.id), albumGrants);
    assert.equal(await read(quizToken), 401);

    const { token, window, review } = await appealToReview('mei', me.codes[0]!);
    // The engine judges the owner's new password and the response acts on what it decides, before the
    // owner's review: nothing may take what the owner is about to keep (a containment on the intruder's
    // last session used to revoke grants behind the owner's back, in a race with the review)
    await f.gh.drainer.drain();
    await f.gh.engine.drain();
    await f.gh.drainer.drain();
    assert.deepEqual(
      [...(await grantsByApp(me.id)).values()].flat().sort(),
      [albumGrant, albumIntruderGrant, coinsGrant, stepsGrant].sort(),
      'only the review revokes grants now',
    );
    assert.ok(review.grants, 'the real grants port is wired into recovery');
    const byId = new Map(review.grants.map((g) => [g.id, g]));
    assert.deepEqual(
      [...byId.keys()].sort(),
      [albumGrant, albumIntruderGrant, coinsGrant, stepsGrant].sort(),
    );
    const g = (id: string) => byId.get(id)!;
    // the intruder's grants: authorised and used in the window, the album's through its new grant
    for (const id of [coinsGrant!, albumIntruderGrant]) {
      assert.equal(g(id).authorisedDuringWindow, true, `${g(id).name?.en} ${id} authorised in the window`);
      assert.equal(g(id).usedDuringWindow, true, `${g(id).name?.en} ${id} used in the window`);
      assert.ok(g(id).createdAt >= window.start && g(id).createdAt <= window.end, JSON.stringify(window));
    }
    assert.equal(g(albumIntruderGrant).client, album.id);
    assert.deepEqual(g(albumIntruderGrant).name, { en: 'Photo Album', zh: '相册' });
    // the owner's grants of days before, not used in the window, are not marked
    for (const id of [albumGrant!, stepsGrant!]) {
      assert.equal(g(id).authorisedDuringWindow, false, `${g(id).name?.en} ${id} authorised before`);
      assert.equal(g(id).usedDuringWindow, false, `${g(id).name?.en} ${id} not used in the window`);
      assert.ok(g(id).createdAt < window.start - 2 * DAY);
    }

    // The owner revokes the intruder's grants and keeps their own.
    const { report, zh, en } = await finish(token, review, {
      keep: [albumGrant!, stepsGrant!],
      revoke: [albumIntruderGrant, coinsGrant!],
    });
    const after = await grantsByApp(me.id);
    assert.deepEqual(after.get(album.id), [albumGrant]);
    assert.deepEqual(after.get(steps.id), [stepsGrant]);
    assert.equal(after.get(coins.id), undefined);
    assert.equal(await read(coinsToken), 401, "the coins app's token died with its grant");
    assert.equal(await read(albumIntruder), 401, "the album's second grant's token died with it");
    assert.equal(await read(albumOwn), 200, "the owner's own album grant still works");

    // The report: which app read what in the window (the quiz too, though containment revoked it).
    const apps = new Map((report.apps ?? []).map((a) => [a.client, a]));
    assert.deepEqual(apps.get(coins.id)?.fields, ['friends', 'nickname']);
    assert.equal(apps.get(coins.id)?.reads, 2);
    assert.deepEqual(apps.get(album.id)?.fields, ['nickname']);
    assert.equal(apps.get(album.id)?.reads, 1, "the owner's read of days before is not in the window");
    assert.deepEqual(apps.get(quiz.id)?.fields, ['nickname']);
    assert.equal(apps.has(steps.id), false, 'the step counter read nothing in the window');
    assert.match(zh, /## 这段时间读取了您数据的应用/);
    assert.match(zh, /- 免费Q币：friends、nickname（2 次）/);
    assert.match(zh, /- 相册：nickname（1 次）/);
    assert.match(zh, /- 小测验：nickname（1 次）/);
    assert.doesNotMatch(zh, /计步器/);
    assert.match(en, /## Apps that read your data during this time/);
    assert.match(en, /- Free Coins: friends, nickname \(2 reads\)/);
    assert.match(en, /- Photo Album: nickname \(1 reads\)/);
    assert.match(en, /- Quick Quiz: nickname \(1 reads\)/);
    assert.doesNotMatch(en, /Step Counter/);
  });

  test('containment on an intruder session that authorised nothing revokes every grant; the report still names what was read', async () => {
    const me = await owner('ling');
    const notes = await addApp(f.gh, { name: { en: 'Notes', zh: '笔记' }, scopes: ['nickname'] });
    const spy = await addApp(f.gh, { name: { en: 'Spy Game', zh: '间谍游戏' }, scopes: ['nickname'] });
    const notesToken = await authoriseApp(notes, new TestBrowser(), 'ling', 'openid nickname');
    // the intruder's messaging session signs in over the API and authorises nothing
    const s1 = await call<{ session: { id: string } }>('POST', '/v1/auth/signin', undefined, {
      handle: 'ling',
      password: PASSWORD,
    });
    await engineKnows(me.id, s1.session.id);
    // a browser session of the intruder authorises the spy game and reads
    const spyToken = await authoriseApp(
      spy,
      new TestBrowser({ userAgent: 'intruder' }),
      'ling',
      'openid nickname',
    );
    assert.equal(await read(spyToken), 200);
    assert.equal((await grantsByApp(me.id)).size, 2);

    const steps = await contain(me.id, s1.session.id);
    assert.equal(steps.find((s) => s.kind === 'revoke_grants')?.status, 'done');
    assert.equal((await grantsByApp(me.id)).size, 0, 'no grant of that session is known: every grant went');
    assert.equal(await read(spyToken), 401);
    assert.equal(await read(notesToken), 401);

    const { token, review } = await appealToReview('ling', me.codes[0]!);
    assert.deepEqual(review.grants, [], 'nothing left to review');
    const { report, zh, en } = await finish(token, review, { keep: [], revoke: [] });
    assert.deepEqual(
      (report.apps ?? []).map((a) => [a.client, a.fields, a.reads]),
      [[spy.id, ['nickname'], 1]],
    );
    assert.match(zh, /- 间谍游戏：nickname（1 次）/);
    assert.match(en, /- Spy Game: nickname \(1 reads\)/);
  });

  test("revoke_grants with scope 'all' revokes the owner's grants with the intruder's", async () => {
    const me = await owner('wen');
    const mine = await addApp(f.gh, { name: { en: 'Diary', zh: '日记' }, scopes: ['nickname'] });
    const theirs = await addApp(f.gh, { name: { en: 'Lucky Draw', zh: '抽奖' }, scopes: ['nickname'] });
    const mineToken = await authoriseApp(mine, new TestBrowser(), 'wen', 'openid nickname');
    const intruder = new TestBrowser({ userAgent: 'intruder' });
    const theirsToken = await authoriseApp(theirs, intruder, 'wen', 'openid nickname');
    const s1 = await sessionOf(intruder);
    const steps = await contain(me.id, s1, 'profile.changed');
    const rg = steps.find((s) => s.kind === 'revoke_grants');
    assert.equal(rg?.status, 'done', JSON.stringify(steps));
    assert.equal(rg?.rule, 'contain-revoke-every-app');
    assert.equal((await grantsByApp(me.id)).size, 0);
    assert.equal(await read(theirsToken), 401);
    assert.equal(await read(mineToken), 401);
    const audit = await f.gh.audit.list({ subject: me.id });
    assert.ok(
      audit.some(
        (e) =>
          e.action === 'oauth.grants.revoke' &&
          (e.data as { reason?: string }).reason === 'containment (all)' &&
          (e.data as { grants?: string[] }).grants?.length === 2,
      ),
      JSON.stringify(audit.map((e) => [e.action, e.data])),
    );
  });
});
