// The live overview stream (Server-Sent Events) over HTTP, on SQLite and PostgreSQL: no operator → 401
// and no stream; a viewer's console session gets an overview at once and the change an operator makes
// arrives as a later event; an API key needs response:read; an operator who signs out, or is disabled,
// gets `event: end` and the stream closes; the server closes with streams open.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { harness, ok, refused, signUp, type Harness } from '../recovery/attack-harness.ts';
import { describeBackends } from '../testing/backends.ts';
import { postgresSkip } from '../testing/index.ts';
import { until } from '../testing/receiver.ts';
import { addOperator, rawCall, signInOperator, type TestOperator } from './test-operators.ts';

interface Event {
  event: string;
  data: string;
}

/** An open event stream: the events so far, and whether the server closed it. */
interface Stream {
  status: number;
  contentType: string;
  events: Event[];
  closed: boolean;
  cancel(): Promise<void>;
}

async function openStream(url: string, headers: Record<string, string>): Promise<Stream> {
  const res = await fetch(`${url}/v1/console/overview/stream`, { headers });
  const s: Stream = {
    status: res.status,
    contentType: res.headers.get('content-type') ?? '',
    events: [],
    closed: false,
    cancel: async () => {
      await reader?.cancel().catch(() => undefined);
    },
  };
  const reader = res.ok ? res.body!.getReader() : undefined;
  if (!reader) {
    await res.text();
    s.closed = true;
    return s;
  }
  const dec = new TextDecoder();
  let buf = '';
  void (async () => {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        buf += dec.decode(value, { stream: true });
        let i: number;
        while ((i = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, i);
          buf = buf.slice(i + 2);
          const ev: Event = { event: 'message', data: '' };
          for (const line of block.split('\n')) {
            if (line.startsWith('event: ')) ev.event = line.slice(7);
            else if (line.startsWith('data: ')) ev.data += line.slice(6);
          }
          if (ev.data) s.events.push(ev);
        }
      }
    } catch {
      /* cancelled */
    }
    s.closed = true;
  })();
  return s;
}

const overviews = (s: Stream) =>
  s.events.filter((e) => e.event === 'overview').map((e) => JSON.parse(e.data) as Record<string, unknown>);

describeBackends('live overview stream', (backend) => {
  let h: Harness;
  let skip: string | undefined;
  let viewer: TestOperator;
  let admin: TestOperator;
  const open: Stream[] = [];
  before(async () => {
    if (backend === 'postgres') skip = await postgresSkip();
    if (skip) return;
    // a beat of 100 ms (2 s by default): the tests wait for beats (a later overview, a closed stream)
    h = await harness(backend, { consoleLiveIntervalMs: 100 });
    viewer = await addOperator(h.gh, 'live.viewer', 'viewer');
    admin = await addOperator(h.gh, 'live.admin', 'admin');
  });
  after(async () => {
    // a stream still open when the server closes must not hold the close
    if (h) open.push(await openStream(h.url, { authorization: `Bearer ${h.op}` }));
    await h?.cleanup();
    await Promise.all(open.map((s) => s.cancel()));
  });

  test('no operator: 401 and no stream; a key without response:read: 403', async (tt) => {
    if (skip) return tt.skip(skip);
    refused(await rawCall(h.url, 'GET', '/v1/console/overview/stream'), 401, 'API_KEY_INVALID');
    const events = (await h.gh.keys.create('events only', ['events:write'])).key;
    refused(
      await rawCall(h.url, 'GET', '/v1/console/overview/stream', {
        headers: { authorization: `Bearer ${events}` },
      }),
      403,
      'API_KEY_SCOPE',
    );
  });

  test('a viewer’s session: an overview at once, then a containment arrives as a later event; signing out ends the stream', async (tt) => {
    if (skip) return tt.skip(skip);
    const c = await signInOperator(h.url, viewer);
    // the polled answer too (its per-minute buckets used to fail on PostgreSQL)
    ok(await c.call('GET', '/v1/console/overview'));
    const s = await openStream(h.url, { cookie: c.cookie });
    open.push(s);
    assert.equal(s.status, 200);
    assert.match(s.contentType, /^text\/event-stream/);
    const first = await until(async () => overviews(s)[0], 'the first overview event');
    assert.equal(first.containments, 0);
    assert.ok(Array.isArray(first.minutes) && Array.isArray(first.events));

    const a = await signUp(h, `live.victim.${backend}`);
    ok(
      await h.call('POST', `/v1/accounts/${a.id}/freeze`, {
        key: h.op,
        body: { kind: 'containment', reason: 'taken over' },
      }),
    );
    const later = await until(
      async () => overviews(s).find((o) => o.containments === 1),
      'the containment in a later event',
    );
    assert.ok((later.at as number) > (first.at as number));

    ok(await c.call('POST', '/v1/console/signout'), 204);
    await until(async () => s.closed, 'the stream closed after sign-out');
    assert.equal(s.events.at(-1)?.event, 'end');
  });

  test('an operator disabled by an admin: the open stream ends; an API key with response:read streams too', async (tt) => {
    if (skip) return tt.skip(skip);
    const victim = await addOperator(h.gh, `live.gone.${backend}`, 'responder');
    const c = await signInOperator(h.url, victim);
    const s = await openStream(h.url, { cookie: c.cookie });
    open.push(s);
    await until(async () => overviews(s).length > 0, 'the first event');
    const adm = await signInOperator(h.url, admin);
    const id = (
      ok(await adm.call('GET', '/v1/console/operators')).json.operators as Array<{
        id: string;
        handle: string;
      }>
    ).find((o) => o.handle === victim.handle)!.id;
    ok(await adm.call('POST', `/v1/console/operators/${id}/disable`), 204);
    await until(async () => s.closed, 'the disabled operator’s stream closed');
    assert.equal(s.events.at(-1)?.event, 'end');

    const reader = (await h.gh.keys.create('dashboards', ['response:read'])).key;
    const k = await openStream(h.url, { authorization: `Bearer ${reader}` });
    open.push(k);
    assert.equal(k.status, 200);
    await until(async () => overviews(k).length > 0, 'an event for the key');
  });
});
