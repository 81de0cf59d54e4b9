/**
 * The pre-send check has a timeout. When Gatehouse does not answer in time the chat fails open — the
 * message is delivered and asked about again; a late "block" takes it back (and reports it: it was
 * delivered, though Gatehouse logged it as stopped), and when Gatehouse cannot
 * be asked at all it is reported as unchecked through POST /v1/events, so the engine still sees it (and
 * can retract it) — or, with checkFailure 'closed', refuses it and sends nothing. The network to
 * Gatehouse is slowed for the check only (a test fetch); Gatehouse and everything else are real.
 */
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../../../packages/gatehouse/src/testing/index.ts';
import { startEnv, User } from './testing.ts';

/** A fetch whose pre-send check calls never answer (until the caller's timeout aborts them). */
/**
 * A fetch whose first pre-send check reaches Gatehouse (which judges and records it) but whose answer is
 * lost: the caller's timeout ends it; later checks pass.
 */
function lostFirstAnswer(calls: { checks: number }): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.endsWith('/v1/check/message') || ++calls.checks > 1) return fetch(input, init);
    const signal = init?.signal;
    await fetch(input, { ...init, signal: null }).then((r) => r.text());
    return new Promise<Response>((_, reject) => {
      if (!signal) return;
      if (signal.aborted) return reject(signal.reason as Error);
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  };
}

function stalledCheck(calls: { checks: number }): typeof fetch {
  return async (input, init) => {
    const url = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    if (!url.endsWith('/v1/check/message')) return fetch(input, init);
    calls.checks++;
    const signal = init?.signal;
    return new Promise<Response>((_, reject) => {
      if (!signal) return;
      signal.addEventListener('abort', () => reject(signal.reason as Error), { once: true });
    });
  };
}

test('fail open: a check that times out delivers the message and reports it to Gatehouse unchecked', async () => {
  const calls = { checks: 0 };
  const env = await startEnv({
    checkTimeoutMs: 150,
    recheckDelaysMs: [20, 20],
    linkFetch: stalledCheck(calls),
  });
  const alice = await new User(env.url).signUp('alice', 'Alice');
  const bob = await new User(env.url).signUp('bob', 'Bob');
  try {
    await bob.connect();
    await alice.call('POST', '/api/friends', { handle: 'bob' });
    const t0 = Date.now();
    const r = await alice.call<{ status: string; message: { id: string } }>('POST', '/api/messages', {
      to: { user: bob.id },
      text: 'the check is slow tonight',
    });
    assert.equal(r.status, 201, JSON.stringify(r.body));
    assert.ok(calls.checks >= 1, 'the check was asked');
    assert.ok(Date.now() - t0 < 5_000, 'the sender did not wait for Gatehouse');
    await bob.next((f) => f.type === 'message' && (f.message as { id: string }).id === r.body.message.id);
    // asked again twice (no answer either time), then the unchecked message reaches the engine through
    // /v1/events, under its own id
    for (;;) {
      await env.chat.gh.flush();
      await env.gh.engine.drain();
      const risk = await env.gh.engine.accountRisk(alice.id).catch(() => undefined);
      if (risk?.events.some((e) => e.id === r.body.message.id)) break;
      await new Promise((res) => setImmediate(res));
    }
    assert.equal(calls.checks, 3, 'the first ask and two more');
  } finally {
    alice.close();
    bob.close();
    await env.cleanup();
  }
});

test('fail open, late verdict: the check judged the message "block" but its answer was lost; the chat asks again and takes the delivered message back', async () => {
  const calls = { checks: 0 };
  const lists = tempDir('chat-late-');
  const blocklist = join(lists.dir, 'blocklist.txt');
  writeFileSync(blocklist, 'free-skins.example\n');
  const env = await startEnv({
    checkTimeoutMs: 150,
    recheckDelaysMs: [20, 20],
    linkFetch: lostFirstAnswer(calls),
    gatehouseConfig: { blocklistFile: blocklist },
  });
  const alice = await new User(env.url).signUp('erin', 'Erin');
  const bob = await new User(env.url).signUp('frank', 'Frank');
  try {
    await bob.connect();
    await alice.call('POST', '/api/friends', { handle: 'frank' });
    const r = await alice.call<{ status: string; message: { id: string } }>('POST', '/api/messages', {
      to: { user: bob.id },
      text: 'free skins here https://free-skins.example/login',
    });
    // delivered unchecked (the answer was lost) ...
    assert.equal(r.status, 201, JSON.stringify(r.body));
    const id = r.body.message.id;
    await bob.next((f) => f.type === 'message' && (f.message as { id: string }).id === id);
    // ... and taken back when the second ask answers the verdict Gatehouse recorded
    await bob.next((f) => f.type === 'message.retracted' && f.id === id);
    const conv = `/api/conversations/${encodeURIComponent(`dm:${alice.id}`)}/messages`;
    const theirs = await bob.call<{ messages: Array<{ id: string; state: string; text: string }> }>(
      'GET',
      conv,
    );
    const m = theirs.body.messages.find((x) => x.id === id)!;
    assert.equal(m.state, 'retracted');
    assert.equal(m.text, '');
    assert.equal(calls.checks, 2, 'asked twice: the first answer lost, the second the recorded verdict');
    // Gatehouse holds the message once (the second ask was its recorded answer, not a second message)…
    await env.chat.rechecksSettled();
    await env.gh.engine.drain();
    const risk = await env.gh.engine.accountRisk(alice.id);
    assert.equal(risk.events.filter((e) => e.id === id).length, 1);
    // …and is told that it was delivered: the chat reported it, so Gatehouse counts it among the messages
    // that left the account (retracted, its recipient warned, when the account is contained) — whether the
    // report came after the check's record (logged again as delivered:<id>) or before it
    const sent = await env.gh.engine.messageLog.sentBy(alice.id, { since: 0, limit: 100 });
    assert.ok(
      sent.some((m) => m.id === id),
      `reported as delivered: ${risk.events.map((e) => e.id).join(', ')}`,
    );
  } finally {
    alice.close();
    bob.close();
    await env.cleanup();
    lists.cleanup();
  }
});

test('fail closed: a check that times out refuses the message; nothing is stored or delivered', async () => {
  const calls = { checks: 0 };
  const env = await startEnv({ checkTimeoutMs: 150, checkFailure: 'closed', linkFetch: stalledCheck(calls) });
  const alice = await new User(env.url).signUp('carol', 'Carol');
  const bob = await new User(env.url).signUp('dave', 'Dave');
  try {
    await alice.call('POST', '/api/friends', { handle: 'dave' });
    const r = await alice.call<{ code: string; messageId: string; en: string; zh: string }>(
      'POST',
      '/api/messages',
      { to: { user: bob.id }, text: 'must not leave unchecked' },
    );
    assert.equal(r.status, 503, JSON.stringify(r.body));
    assert.equal(r.body.code, 'CHECK_UNAVAILABLE');
    assert.equal(calls.checks, 1);
    assert.equal(env.chat.db.message(r.body.messageId), undefined);
    const conv = `/api/conversations/${encodeURIComponent(`dm:${alice.id}`)}/messages`;
    const theirs = await bob.call<{ messages: unknown[] }>('GET', conv);
    assert.equal(theirs.body.messages.length, 0);
  } finally {
    alice.close();
    bob.close();
    await env.cleanup();
  }
});
