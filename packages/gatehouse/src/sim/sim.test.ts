import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { isGatehouseError } from '../errors/index.ts';
import { ownPage } from './benign-schedule.ts';
import { metricsTable } from './metrics.ts';
import { seededRng } from './rng.ts';
import { replay } from './runner.ts';
import { loadScenario, parseScenario } from './scenario.ts';
import { buildSociety } from './society.ts';

const dir = join(import.meta.dirname, '../../../../scenarios');

test('every built-in scenario validates, named as its file', () => {
  const files = readdirSync(dir).filter((f) => f.endsWith('.yaml'));
  assert.ok(files.length >= 30, files.join());
  for (const f of files) assert.equal(loadScenario(join(dir, f)).name, f.replace(/\.yaml$/, ''), f);
});

test('a greeting link with {sender} is a page of the sender’s own, the same in every message of theirs', () => {
  const c = {
    text: '请帖在这 https://h5.eqxiu.com/s/{sender}',
    urls: ['https://h5.eqxiu.com/s/{sender}'],
    attachments: [],
  };
  const a = ownPage(c, 1);
  const b = ownPage(c, 2);
  assert.ok(!a.text.includes('{sender}') && !a.urls[0]!.includes('{sender}'), JSON.stringify(a));
  assert.notEqual(a.urls[0], b.urls[0]);
  assert.deepEqual(ownPage(c, 1), a);
  assert.ok(a.text.endsWith(a.urls[0]!), JSON.stringify(a));
  const plain = { text: 'hi', urls: [], attachments: [] };
  assert.equal(ownPage(plain, 1), plain);
});

test('scenario errors name the field', () => {
  assert.throws(
    () => parseScenario('name: x\nattack:\n  share: 2\n  messages: []\n'),
    (e: unknown) =>
      isGatehouseError(e) &&
      e.code === 'SCENARIO_INVALID' &&
      /attack\.share/.test(e.message) &&
      /attack\.messages/.test(e.message),
  );
  assert.throws(() => parseScenario('name: x\nsurprise: 1\n'), /surprise/);
  assert.throws(
    () => loadScenario('/nonexistent.yaml'),
    (e: unknown) => isGatehouseError(e) && e.code === 'SCENARIO_NOT_FOUND',
  );
});

test('the society is seeded, heavy-tailed and clustered', () => {
  const sc = loadScenario(join(dir, 'qq-incident.yaml'));
  const a = buildSociety(sc, 2000, seededRng(7), 'p-');
  const b = buildSociety(sc, 2000, seededRng(7), 'p-');
  assert.deepEqual(a, b);
  const deg = a.people.map((p) => p.friends.length).sort((x, y) => x - y);
  const mean = deg.reduce((s, x) => s + x, 0) / deg.length;
  assert.ok(deg.at(-1)! > 5 * mean, `hubs: max ${deg.at(-1)} vs mean ${mean}`);
  assert.ok(a.groups.length > 0);
  assert.ok(a.people.some((p) => p.lang === 'en') && a.people.some((p) => p.lang === 'zh'));
  assert.ok(a.people.some((p) => p.desktop) && a.people.some((p) => !p.desktop));
});

test('a small society: qq-incident is detected, new-year freezes and holds nobody, same seed same numbers', async () => {
  const qq = loadScenario(join(dir, 'qq-incident.yaml'));
  const ny = loadScenario(join(dir, 'new-year.yaml'));
  // 100 accounts: seed 3 hijacks 5 of them (a run costs about half the CPU of 200, and the test runs four)
  const accounts = 100;
  const run = (sc: typeof qq) => replay({ scenario: sc, seed: 3, accounts, liveSeconds: 3 });
  // the four runs at once: each has its own embedded Gatehouse and its own database, and most of a run
  // is waiting (its live phase in real time, the feed's quiet period)
  const [q1, n1, q2, n2] = await Promise.all([run(qq), run(ny), run(qq), run(ny)]);
  const m = q1.metrics;
  assert.equal(m.accounts, accounts);
  assert.ok(m.hijacked > 0 && m.detected > 0, metricsTable([m]));
  assert.ok(m.recall > 0.5, metricsTable([m]));
  // real time: allow for the live phase's lag on a loaded machine (liveLagMs, measured by the runner)
  assert.ok(
    m.timeToContainMs.median !== null && m.timeToContainMs.median < 60_000 + m.liveLagMs,
    `${m.timeToContainMs.median} ms to contain with ${m.liveLagMs} ms of lag`,
  );
  // intruders sent; what the check let through was retracted and nothing stays delivered (a message the
  // check stopped reached nobody: never retracted nor warned about)
  assert.ok(m.intruderMessages > 0, metricsTable([m]));
  assert.ok(m.retracted >= m.intruderMessagesAllowed, metricsTable([m]));
  assert.equal(m.intruderMessagesLeftDelivered, 0, metricsTable([m]));
  assert.equal(n1.metrics.hijacked, 0);
  assert.equal(n1.metrics.benignFrozen, 0, metricsTable([n1.metrics]));
  assert.equal(n1.metrics.benignHeld, 0, JSON.stringify(n1.metrics.benignSignals));
  assert.equal(m.benignFrozen, 0, metricsTable([m]));
  // every frozen owner walked the recovery case back to restored
  assert.ok(m.recovery.attempted > 0, metricsTable([m]));
  assert.equal(m.recovery.restored, m.recovery.attempted, JSON.stringify(m.recovery.failures));
  assert.ok(m.recovery.medianMs !== null && m.recovery.medianMs > 0);
  // the seed fixes the society and the cast; what is detected also depends on the order actions ran
  // in, which is the seed's only when the live phase kept to its schedule
  for (const k of ['accounts', 'hijacked', 'intruderMessages', 'benignAccounts'] as const) {
    assert.equal(q2.metrics[k], m[k], k);
    assert.equal(n2.metrics[k], n1.metrics[k], k);
  }
  const lag = Math.max(m.liveLagMs, q2.metrics.liveLagMs);
  if (lag < 250) assert.equal(q2.metrics.detected, m.detected, 'detected');
  else {
    console.log(`# live phase lagged ${lag} ms: detected compared as a rate`);
    assert.ok(q2.metrics.recall > 0.5, metricsTable([q2.metrics]));
  }
  assert.match(metricsTable([m, n1.metrics]), /qq-incident\s+new-year/);
});

test('greetings carry links, images or go to groups; lone intruders are counted exactly; an attack needs a share or a count', () => {
  const sc = parseScenario(
    [
      'name: x',
      'greetings:',
      '  share: 0.3',
      '  to: group',
      '  within: 1',
      '  texts:',
      '    - plain wishes',
      '    - { text: a card, url: "https://cards.example.com/c/1" }',
      `    - { text: a meme, image: "${'ab'.repeat(32)}" }`,
      'attack:',
      '  count: 2',
      '  messages: [{ text: hi }]',
    ].join('\n'),
  );
  assert.equal(sc.greetings!.to, 'group');
  assert.equal(sc.greetings!.texts.length, 3);
  assert.equal(sc.attack!.count, 2);
  assert.equal(sc.attack!.share, 0);
  assert.throws(
    () => parseScenario('name: x\nattack:\n  messages: [{ text: hi }]\n'),
    (e: unknown) =>
      isGatehouseError(e) && e.code === 'SCENARIO_INVALID' && /attack\.(share|count)/.test(e.message),
  );
  assert.throws(
    () => parseScenario('name: x\ngreetings:\n  share: 0.1\n  to: everyone\n  texts: [hi]\n'),
    /greetings\.to/,
  );
});

test('every scenario in scenarios/ validates', () => {
  for (const f of readdirSync(dir).filter((x) => x.endsWith('.yaml')))
    assert.equal(loadScenario(join(dir, f)).name, f.replace(/\.yaml$/, ''));
});
