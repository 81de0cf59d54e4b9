/**
 * App anomalies that the kill-switch suite does not cover: the breadth of profiles read (only with a jump
 * over the app's usual), the app's tokens coming from many networks at once (tokens leaked from the app,
 * each used once, so no single grant looks odd), and the signals being the engine's own — one vocabulary,
 * one weights table, one sentence per signal in both languages. The network spread also over HTTP, on
 * SQLite and PostgreSQL.
 */
import { AppAnomalyEvent } from '@gatehouse/sdk';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { BusEvent } from '../bus/index.ts';
import { WEIGHTS } from '../engine/index.ts';
import { KNOWN_SIGNALS } from '../response/policy.ts';
import { postgresSkip, type Backend } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import { ANOMALY_SIGNALS, ANOMALY_WEIGHTS, AppAnomalyDetector, type Anomaly } from './anomaly.ts';
import { mint } from './mint.ts';
import { addApp, fixture, PASSWORD, type Fixture } from './test-fixture.ts';

const T = 1_800_000_000_000; // a multiple of ten minutes
const MIN = 60_000;

function reader(d: AppAnomalyDetector) {
  return (
    account: string,
    at: number,
    o: Partial<{ resource: string; network: string; grant: string }> = {},
  ) =>
    d.observe({
      client: 'app_y',
      account,
      grant: o.grant ?? `g-${account}`,
      resource: o.resource ?? 'profile',
      network: o.network ?? '10.0.0.0/24',
      at,
    });
}

describe('app anomalies: profiles and networks', () => {
  test("an app that usually reads a few users' profiles and suddenly reads 200 is an incident", () => {
    const d = new AppAnomalyDetector();
    const read = reader(d);
    const out: Anomaly[] = [];
    // a quiet hour: about eight users a window
    for (let w = 0; w < 6; w++) for (let i = 0; i < 8; i++) out.push(...read(`u${i}`, T + w * 10 * MIN + i));
    assert.equal(out.length, 0);
    const scrape = T + 6 * 10 * MIN;
    for (let i = 0; i < 199; i++) out.push(...read(`v${i}`, scrape + i * 100));
    assert.equal(out.length, 0, '199 profiles: below the breadth threshold');
    out.push(...read('v199', scrape + 19_900));
    assert.equal(out.length, 1);
    const a = out[0]!;
    assert.equal(a.kind, 'app_reading_breadth');
    assert.deepEqual(a.signals.map((s) => s.name).sort(), ['app_profile_breadth', 'app_rate_jump']);
    const breadth = a.signals.find((s) => s.name === 'app_profile_breadth')!;
    assert.equal(breadth.value, 200);
    assert.equal(breadth.threshold, 200);
    assert.equal(a.score, -2.5 + ANOMALY_WEIGHTS.app_profile_breadth + ANOMALY_WEIGHTS.app_rate_jump);
    // explained with its values, in both languages
    assert.match(breadth.explanation.en, /profiles of 200 users/);
    assert.match(breadth.explanation.zh, /200 位用户的资料/);
    assert.match(a.signals.find((s) => s.name === 'app_rate_jump')!.explanation.zh, /倍/);
    assert.ok(a.accounts.includes('v0') && a.accounts.includes('v199'));
  });

  test('an app that always reads hundreds of profiles is its own usual: 220 in a window is no incident', () => {
    const d = new AppAnomalyDetector();
    const read = reader(d);
    let fired: Anomaly[] = [];
    for (let w = 0; w < 8; w++) {
      const r: Anomaly[] = [];
      for (let i = 0; i < 220; i++) r.push(...read(`u${(w * 37 + i) % 400}`, T + w * 10 * MIN + i * 1000));
      // the first window has no usual yet (a new app's first scrape is the kind of thing to catch)
      if (w >= 2) fired = fired.concat(r);
    }
    // the breadth alone (1.0) stays under the prior (-2.5): popular apps read many profiles
    assert.deepEqual(fired, []);
  });

  test("an app's tokens used from fifteen networks at once (each grant from one) is an incident; fourteen is not", () => {
    const d = new AppAnomalyDetector();
    const read = reader(d);
    const out: Anomaly[] = [];
    // its users, each at home: three networks in an ordinary hour
    for (let w = 0; w < 6; w++)
      for (let i = 0; i < 9; i++)
        out.push(...read(`u${i}`, T + w * 10 * MIN + i, { network: `home-${i % 3}` }));
    assert.equal(out.length, 0);
    const leak = T + 6 * 10 * MIN;
    // fourteen fresh networks plus the three usual ones stay below 5× the usual of 3 only up to 14
    for (let n = 0; n < 14; n++)
      out.push(...read(`u${n % 9}`, leak + n * 1000, { network: `elsewhere-${n}` }));
    assert.equal(out.length, 0, 'fourteen networks in the window');
    out.push(...read('u0', leak + 15_000, { network: 'elsewhere-14' }));
    assert.equal(out.length, 1);
    const a = out[0]!;
    assert.equal(a.kind, 'app_token_networks');
    assert.deepEqual(
      a.signals.map((s) => s.name),
      ['app_networks_jump'],
      'no single grant was used from many networks',
    );
    assert.equal(a.grant, undefined);
    assert.ok(a.signals[0]!.value >= 15);
    assert.match(a.signals[0]!.explanation.en, /networks within 10 minutes/);
  });

  test('an app that spreads over many networks every day has that as its usual', () => {
    const d = new AppAnomalyDetector();
    const read = reader(d);
    const late: Anomaly[] = [];
    for (let w = 0; w < 10; w++)
      for (let n = 0; n < 20; n++) {
        const r = read(`u${n}`, T + w * 10 * MIN + n * 1000, { network: `net-${(w * 7 + n) % 40}` });
        if (w >= 3) late.push(...r);
      }
    assert.deepEqual(late, []);
  });

  test("the anomaly signals are the engine's: its weights, its group, and names a policy file may use", () => {
    for (const name of ANOMALY_SIGNALS) {
      assert.equal(WEIGHTS[name].group, 'app', name);
      assert.equal(ANOMALY_WEIGHTS[name], WEIGHTS[name].w, name);
      assert.ok(KNOWN_SIGNALS.has(name), name);
    }
    // no account detector's signal is an app signal
    assert.deepEqual(
      Object.entries(WEIGHTS)
        .filter(([, w]) => w.group === 'app')
        .map(([n]) => n)
        .sort(),
      [...ANOMALY_SIGNALS].sort(),
    );
  });
});

for (const backend of ['sqlite', 'postgres'] as Backend[]) {
  describe(`app anomalies over HTTP (${backend})`, async () => {
    const skip = backend === 'postgres' ? await postgresSkip() : undefined;
    let f: Fixture;
    const bus: BusEvent[] = [];
    before(async () => {
      if (skip) return;
      f = await fixture(backend, { trustProxy: true });
      f.gh.bus.subscribe('app.*', (e) => void bus.push(e));
    });
    after(async () => {
      if (skip) return;
      await f.cleanup();
    });

    test(
      "tokens leaked from an app, each replayed once from another network: an incident explains it; the users' own reads go on",
      { skip },
      async () => {
        const app = await addApp(f.gh, { scopes: ['nickname'], rateLimitPerMinute: 100_000 });
        const provider = await f.gh.oauth.provider();
        const tokens: string[] = [];
        for (let i = 0; i < 16; i++) {
          const acc = await f.gh.identity.createAccount(
            { handle: `leaked${i}`, password: PASSWORD },
            { ip: `10.8.${i}.1`, userAgent: 'x' },
          );
          tokens.push(
            await (
              await mint(provider, { accountId: acc.id, clientId: app.id, scope: 'openid nickname' })
            ).accessToken(),
          );
        }
        const readAs = (token: string, ip: string) =>
          fetch(`${f.url}/v1/apps/me`, {
            headers: { authorization: `Bearer ${token}`, 'x-forwarded-for': ip },
          });
        const incident = async () =>
          (await f.gh.incidents.list()).find(
            (i) => i.kind === 'app_anomaly' && i.facts.app?.client === app.id,
          );
        // fourteen tokens, each from its own network: still under the bar
        for (let i = 0; i < 14; i++) assert.equal((await readAs(tokens[i]!, `198.51.${i}.20`)).status, 200);
        // the fifteenth network: the app's tokens are everywhere at once
        assert.equal((await readAs(tokens[14]!, '198.51.14.20')).status, 200);
        const inc = await until(incident, 'app_anomaly incident');
        assert.match(inc.title, /networks/);
        const detail = await f.gh.incidents.get(inc.id);
        const tl = detail.timeline.find((x) => x.kind === 'app.anomaly.app_token_networks')!;
        const signals = tl.data.signals as Array<{ name: string; explanation: { en: string; zh: string } }>;
        assert.deepEqual(
          signals.map((s) => s.name),
          ['app_networks_jump'],
        );
        assert.match(signals[0]!.explanation.zh, /个网络中被使用/);
        assert.match(tl.summary, /tokens were used from 15 networks/);
        const ev = await until(
          () => bus.find((e) => e.type === 'app.anomaly' && e.client === app.id),
          'app.anomaly event',
        );
        const published = AppAnomalyEvent.parse(ev);
        assert.equal(published.signals[0]?.explanation?.en, signals[0]!.explanation.en);
        // an incident for operators, not a kill switch: the app's users keep reading their own data
        assert.equal((await readAs(tokens[15]!, '10.8.15.1')).status, 200);
        assert.equal((await f.gh.incidents.list()).filter((i) => i.facts.app?.client === app.id).length, 1);
      },
    );
  });
}
