/** The replay's waits on the server: the engine caught up, the response part done, the feed read. */
import type { SimApi } from './api.ts';
import type { RunRecord } from './metrics.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitForEngine(api: SimApi, sentinel: string): Promise<void> {
  const end = Date.now() + 300_000;
  for (;;) {
    const r = await api.call<{ state: unknown }>(
      'GET',
      `/v1/accounts/${encodeURIComponent(sentinel)}/risk`,
      undefined,
      { ok: [404] },
    );
    if (r.status === 200 && r.data.state) return;
    if (Date.now() > end) throw new Error('the engine did not catch up with the history in 5 minutes');
    await sleep(100);
  }
}

/**
 * The platform's own work on what was sent done (`settle`: the chat's late verdicts and reports), then
 * the engine caught up with it: an event after those reports (`sentinel`) is in its state.
 */
export async function platformSettled(
  api: SimApi,
  settle: () => Promise<void>,
  sentinel: string,
): Promise<void> {
  await settle();
  await api.call('POST', '/v1/events', {
    events: [
      {
        id: sentinel,
        type: 'friend.added',
        time: Date.now(),
        account: sentinel,
        friend: `${sentinel}-nobody`,
      },
    ],
  });
  await waitForEngine(api, sentinel);
}

/** Waits (at most 10 minutes) until the server's response queue is empty, as its /metrics say. */
export async function responseSettled(
  api: SimApi,
  progress: (phase: string, done: number, total: number) => void,
): Promise<void> {
  const end = Date.now() + 600_000;
  let first: number | undefined;
  while (Date.now() < end) {
    const r = await fetch(`${api.url}/metrics`, { signal: AbortSignal.timeout(60_000) }).catch(
      () => undefined,
    );
    const m = r?.ok ? /^gatehouse_response_queue_depth (\d+)/m.exec(await r.text()) : null;
    if (!m) return; // a server without the metric: the feed's quiet period is all there is
    const depth = Number(m[1]);
    first ??= depth;
    progress('response', Math.max(0, first - depth), Math.max(1, first));
    if (depth === 0) return;
    await sleep(250);
  }
}

export async function readFeed(
  api: SimApi,
  ours: Set<string>,
  progress: (phase: string, done: number, total: number) => void,
): Promise<RunRecord['feed']> {
  const all: RunRecord['feed'] = [];
  let after: string | undefined;
  let quiet = 0;
  let rounds = 0;
  while (quiet < 3 && rounds++ < 200) {
    const q = new URLSearchParams({ limit: '1000' });
    if (after) q.set('after', after);
    const res = await api.call<{ messages: RunRecord['feed']; next: string }>(
      'GET',
      `/v1/webhooks/feed?${q}`,
    );
    for (const m of res.data.messages) if (!m.account || ours.has(m.account)) all.push(m);
    if (res.data.next) after = res.data.next;
    if (res.data.messages.length === 0) {
      quiet++;
      await sleep(500);
    } else quiet = 0;
    progress('settle', Math.min(quiet, 3), 3);
  }
  return all;
}
