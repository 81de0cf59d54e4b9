import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { median, percentile, registerBenchmark, type BenchOptions, type Figures } from './index.ts';
import { loadConfig } from '../config/index.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { tempDir } from '../testing/index.ts';

/**
 * Containment latencies, end to end on the embedded default: a hijack's first message reaches the
 * pre-send check; we time how long each action takes (its own work) and how long until the platform's
 * webhook receiver holds account.frozen, message.retract and recipients.warn.
 */
async function run(opts: BenchOptions): Promise<Figures> {
  const t = tempDir('gatehouse-bench-response-');
  const arrivals = new Map<string, number>();
  const receiver = createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      try {
        const m = JSON.parse(body) as { type: string; data: { account?: string } };
        const k = `${m.data.account}|${m.type}`;
        if (!arrivals.has(k)) arrivals.set(k, performance.now());
      } catch {
        /* ignore */
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
  const config = loadConfig({
    overrides: {
      dataDir: t.dir,
      port: 0,
      logLevel: 'silent',
      webhookPollMs: 20,
      // the receiver is this process, over http on 127.0.0.1
      webhookAllowHttp: true,
      webhookAllowLoopback: true,
      argon2MemoryKib: 8192,
      argon2Iterations: 1,
      signupMaxPerIp: 100_000,
    },
  });
  const gh = await createGatehouse(config, { log: createLogger('silent') });
  const actionMs = new Map<string, number[]>();
  gh.bus.subscribe('action.taken', (e) => {
    const a = e.action as { kind: string; ms: number; mode: string };
    if (a.mode !== 'enforce') return;
    const xs = actionMs.get(a.kind) ?? [];
    xs.push(a.ms);
    actionMs.set(a.kind, xs);
  });
  try {
    await gh.webhooks.addEndpoint({ url: `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/` });
    const url = await gh.listen();
    const key = (await gh.keys.create('bench', ['events:write'])).key;
    const post = (path: string, body: unknown) =>
      fetch(`${url}${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
        body: JSON.stringify(body),
      });
    const rounds = Math.max(3, Math.round(20 * opts.scale));
    const toFrozen: number[] = [];
    const toRetract: number[] = [];
    const toWarn: number[] = [];
    const client = { kind: 'mobile', name: 'QQ', version: '9.0' };
    for (let r = 0; r < rounds; r++) {
      const handle = `bench.victim${r}`;
      const acc = await gh.identity.createAccount(
        { handle, displayName: `用户${r}`, password: 'bench password 1' },
        { ip: '10.0.0.1', userAgent: 'x' },
      );
      const own = await gh.identity.signIn(
        { handle, password: 'bench password 1' },
        { ip: '10.0.0.1', userAgent: 'Mozilla/5.0 (Linux; Android 14) Chrome/126.0 Mobile' },
      );
      const friends = Array.from({ length: 30 }, (_, i) => `${handle}-f${i}`);
      const now = Date.now();
      const events = [
        ...friends.map((f, i) => ({
          id: `${handle}-fa${i}`,
          type: 'friend.added',
          time: now - 20 * 3_600_000,
          account: acc.id,
          friend: f,
        })),
        ...Array.from({ length: 30 }, (_, i) => ({
          id: `${handle}-h${i}`,
          type: 'message.sent',
          time: now - 19 * 3_600_000 + i * 30 * 60_000,
          account: acc.id,
          session: own.session.id,
          recipients: [friends[i % 5]!],
          text: '明天一起吃饭吗',
          client,
        })),
      ];
      await post('/v1/events', { events });
      await gh.engine.drain();
      const intr = await gh.identity.signIn(
        { handle, password: 'bench password 1' },
        { ip: '203.0.113.9', userAgent: 'Mozilla/5.0 (Windows NT 10.0) Chrome/99.0' },
      );
      await gh.drainer.drain();
      await gh.engine.drain();
      // the intruder's first, harmless-looking message went out (the platform delivered it and reported
      // it): the containment retracts it and warns its recipients (a checked, stopped blast is neither)
      await post('/v1/events', {
        events: [
          {
            id: `${handle}-first`,
            type: 'message.sent',
            time: Date.now(),
            account: acc.id,
            session: intr.session.id,
            recipients: friends.slice(0, 3),
            text: '在吗',
            client: { kind: 'desktop', name: 'QQ-PC', version: '9.7' },
          },
        ],
      });
      await gh.engine.drain();
      const t0 = performance.now();
      const res = (await (
        await post('/v1/check/message', {
          id: `${handle}-blast`,
          time: Date.now(),
          account: acc.id,
          session: intr.session.id,
          recipients: friends,
          text: '免费领取Q币 扫码登录 http://qq-login-game.com/free',
          client: { kind: 'desktop', name: 'QQ-PC', version: '9.7' },
        })
      ).json()) as { action: string };
      if (res.action !== 'contain') throw new Error(`round ${r}: expected contain, got ${res.action}`);
      const wait = async (type: string) => {
        const k = `${acc.id}|${type}`;
        const end = performance.now() + 30_000;
        while (!arrivals.has(k)) {
          if (performance.now() > end) throw new Error(`no ${type} webhook for ${acc.id}`);
          await new Promise((r2) => setTimeout(r2, 2));
        }
        return arrivals.get(k)! - t0;
      };
      toFrozen.push(await wait('account.frozen'));
      toRetract.push(await wait('message.retract'));
      toWarn.push(await wait('recipients.warn'));
    }
    const figures: Figures = {
      checkToFrozenWebhookP50Ms: round(median(toFrozen)),
      checkToFrozenWebhookP90Ms: round(percentile(toFrozen, 90)),
      checkToRetractWebhookP50Ms: round(median(toRetract)),
      checkToWarnWebhookP50Ms: round(median(toWarn)),
    };
    for (const [kind, xs] of [...actionMs.entries()].sort()) figures[`${kind}P50Ms`] = round(median(xs));
    opts.log(`response: ${rounds} contained hijacks; actions ${[...actionMs.keys()].join(', ')}`);
    return figures;
  } finally {
    await gh.close();
    receiver.close();
    t.cleanup();
  }
}

const round = (x: number) => Math.round(x * 100) / 100;

registerBenchmark({
  name: 'response',
  description: 'containment latencies: check → webhooks at the platform, and each action’s own time',
  run,
});
