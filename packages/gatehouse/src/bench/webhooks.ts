import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { loadConfig } from '../config/index.ts';
import { createGatehouse } from '../gatehouse.ts';
import { createLogger } from '../log/index.ts';
import { tempDir } from '../testing/index.ts';
import { enqueueInTx } from '../webhooks/index.ts';
import { percentile, registerBenchmark, type BenchOptions, type Figures } from './index.ts';

/**
 * Webhook delivery on the embedded SQLite store to a receiver on loopback (same process):
 * - latency: messages enqueued one at a time (each its own committed transaction), time from commit to
 *   the receiver answering 2xx; median and p99;
 * - throughput: a burst committed at once across many accounts, deliveries per second until all are in.
 */
export async function benchWebhooks(opts: BenchOptions): Promise<Figures> {
  const t = tempDir('gatehouse-bench-');
  const received = new Map<string, number>();
  let waiting: { n: number; resolve: () => void } | undefined;
  const byId = new Map<string, () => void>();
  const server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      res.writeHead(204).end();
      const id = String(req.headers['webhook-id']);
      received.set(id, performance.now());
      byId.get(id)?.();
      if (waiting && received.size >= waiting.n) waiting.resolve();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const until = (n: number) =>
    received.size >= n ? Promise.resolve() : new Promise<void>((resolve) => (waiting = { n, resolve }));
  const config = loadConfig({
    env: {},
    overrides: {
      dataDir: t.dir,
      logLevel: 'silent',
      sqliteSynchronous: 'NORMAL',
      webhookConcurrency: 32,
      // the receiver is this process, on loopback over http
      webhookAllowHttp: true,
      webhookAllowLoopback: true,
    },
  });
  const gh = await createGatehouse(config, { log: createLogger('silent') });
  try {
    gh.start();
    await gh.webhooks.addEndpoint({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks`,
    });
    const n = Math.max(50, Math.round(400 * opts.scale));
    const committed = new Map<string, number>();
    // Four producers, each waiting for its message to arrive before committing the next: latency
    // under light load, not queueing behind a backlog.
    let next = 0;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < n) {
          const i = next++;
          const account = `acc_${i % 40}`;
          const { id } = await gh.webhooks.send({
            type: 'message.release',
            account,
            payload: { message: `m${i}`, account },
          });
          committed.set(id, performance.now());
          if (!received.has(id)) await new Promise<void>((r) => byId.set(id, r));
          byId.delete(id);
        }
      }),
    );
    await until(n);
    const lat = [...committed].map(([id, at]) => received.get(id)! - at);
    opts.log(
      `  latency: ${n} messages, p50 ${percentile(lat, 50).toFixed(2)} ms, p99 ${percentile(lat, 99).toFixed(2)} ms`,
    );

    const burst = Math.max(200, Math.round(3000 * opts.scale));
    const base = received.size;
    const t0 = performance.now();
    await gh.store.db.transaction().execute(async (tx) => {
      for (let i = 0; i < burst; i++) {
        const account = `acc_${i % 200}`;
        await enqueueInTx(tx, { type: 'message.release', account, payload: { message: `b${i}`, account } });
      }
    });
    gh.dispatcher.poke();
    const t1 = performance.now();
    await until(base + burst);
    const rate = burst / ((performance.now() - t1) / 1000);
    opts.log(
      `  throughput: ${burst} messages enqueued in ${(t1 - t0).toFixed(0)} ms, ${rate.toFixed(0)} deliveries/s`,
    );
    return {
      deliveriesPerSecond: Math.round(rate),
      enqueueToDeliveryP50Ms: Math.round(percentile(lat, 50) * 100) / 100,
      enqueueToDeliveryP99Ms: Math.round(percentile(lat, 99) * 100) / 100,
    };
  } finally {
    await gh.close();
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
    t.cleanup();
  }
}

registerBenchmark({
  name: 'webhooks',
  description: 'webhook deliveries/s and enqueue-commit → receiver-2xx latency (p50, p99)',
  run: benchWebhooks,
});
