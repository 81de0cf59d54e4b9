import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import type { Gatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { testGatehouse } from '../testing/index.ts';
import { ContentService } from './service.ts';

let gh: Gatehouse;
let cleanup: () => Promise<void>;
let url: string;
let key: string;
before(async () => {
  ({ gh, cleanup } = await testGatehouse('sqlite'));
  url = await gh.listen();
  key = (await gh.keys.create('content ops', ['content:read', 'content:write'])).key;
});
after(async () => cleanup?.());

const post = (path: string, body: unknown, auth = key) =>
  fetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${auth}` },
    body: JSON.stringify(body),
  });

test('an explained score over HTTP: probability, features, intents with spans in the original text', async () => {
  const text = '兄弟，我在医院急需用钱，先转我2000，加我薇信 abc12345';
  const r = (await (await post('/v1/content/text/score', { text })).json()) as {
    probability: number;
    intents: Array<{ intent: string; start: number; end: number; term: string }>;
    topFeatures: unknown[];
  };
  assert.ok(r.probability >= 0 && r.probability <= 1);
  assert.ok(r.topFeatures.length > 0);
  const money = r.intents.find((i) => i.intent === 'money')!;
  assert.ok(money, JSON.stringify(r.intents));
  assert.ok(text.slice(money.start, money.end).length > 0);
});

test('operator labels teach the model at once, are recorded, and the model is persisted', async () => {
  const text = 'limited offer: claim your free game skin now at skins-drop.example';
  const first = (await (await post('/v1/content/text/labels', { text, verdict: 'spam' })).json()) as {
    before: number;
    after: number;
  };
  assert.ok(first.after > first.before, JSON.stringify(first));
  let last = first.after;
  for (let i = 0; i < 3; i++)
    last = (
      (await (await post('/v1/content/text/labels', { text, verdict: 'spam' })).json()) as { after: number }
    ).after;
  assert.ok(last > first.after);
  const ham = (await (
    await post('/v1/content/text/labels', { text: 'see you at dinner tonight', verdict: 'ham' })
  ).json()) as { before: number; after: number };
  assert.ok(ham.after < ham.before);
  const rows = await gh.store.db.selectFrom('content_labels').selectAll().execute();
  assert.equal(rows.length, 5);
  gh.content.save();
  const path = join(gh.config.dataDir, 'models', 'text.bin');
  assert.ok(existsSync(path));
  const reloaded = new ContentService({
    dataDir: gh.config.dataDir,
    textModelFile: '',
    brandsFile: '',
    blocklistFile: '',
    allowlistFile: '',
    imageBankFile: '',
    log: createLogger('silent'),
  });
  assert.equal(reloaded.explainText(text).probability, gh.content.explainText(text).probability);
  reloaded.close();
});

test('URL analysis and image matching over HTTP; scopes and bad input', async () => {
  const u = (await (
    await post('/v1/content/urls/analyze', { text: '领取 Q币 👉 qq-login-game[.]com/free' })
  ).json()) as { urls: Array<{ verdict: string; brand?: string }> };
  assert.equal(u.urls[0]!.verdict, 'lookalike');
  assert.equal(u.urls[0]!.brand, 'qq');
  const m = (await (await post('/v1/content/images/match', { hash: 'a'.repeat(64) })).json()) as {
    match: unknown;
  };
  assert.equal(m.match, null);
  assert.equal((await post('/v1/content/images/match', { hash: 'xyz' })).status, 400);
  assert.equal((await post('/v1/content/text/score', { text: '' })).status, 400);
  const reader = (await gh.keys.create('reader', ['content:read'])).key;
  assert.equal((await post('/v1/content/text/labels', { text: 'x', verdict: 'spam' }, reader)).status, 403);
});
