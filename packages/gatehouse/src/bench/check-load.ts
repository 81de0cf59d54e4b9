/**
 * Load generator for `gatehouse bench check`, run as a second process: an open loop at a fixed rate
 * of POST /v1/check/message with a fresh message id each time (ids repeat nothing, so every request
 * is scored), over keep-alive connections. Latency is measured from each request's scheduled time (the
 * figure). Beside it, to tell where a tail comes from: `lagMs`, how late this process handed each
 * request to the client after its scheduled time (its own timers, GC, or the OS not running it: a
 * second process on the same cores), and `sentMs`, from that hand-over to the answer; `cpuMs`, this
 * process's own CPU time over the measured seconds (on 2 cores it is taken from the server's share).
 * Prints one JSON line: {count, errors, statuses, durationMs, latenciesMs, lagMs, sentMs, cpuMs}.
 *
 * The client is a minimal HTTP/1.1 one on plain sockets (one request in flight per connection, each
 * request one write, answers framed by Content-Length): undici's general client cost about as much CPU
 * per request as the server's check, CPU the two share on this machine's 2 cores.
 */
import { connect, type Socket } from 'node:net';

export interface CheckLoadSpec {
  url: string;
  apiKey: string;
  rate: number;
  durationMs: number;
  warmupMs: number;
  connections: number;
  accounts: number;
}

const TEXTS = [
  '今天晚上一起吃饭吗',
  '好的，明天见',
  'are we still on for lunch tomorrow',
  '周末去爬山吧，天气不错',
  '澳门首家线上赌场 首充送888 https://bet-888.com/r/1',
  '我在医院，急需用钱，先转我2000',
];

export async function runCheckLoad(spec: CheckLoadSpec) {
  const pool = new MiniPool(
    spec.url,
    spec.connections,
    `Content-Type: application/json\r\nAuthorization: Bearer ${spec.apiKey}\r\n`,
  );
  const lat: number[] = [];
  const lagMs: number[] = [];
  const sentMs: number[] = [];
  const statuses: Record<string, number> = {};
  let errors = 0;
  let n = 0;
  const one = async (measure: boolean, scheduled: number) => {
    const i = n++;
    const handed = performance.now();
    const a = i % spec.accounts;
    const body = JSON.stringify({
      id: `bench-${process.pid}-${i}`,
      time: Date.now(),
      account: `bench-u${a}`,
      recipients: [`bench-u${(a * 7 + 1) % spec.accounts}`],
      text: TEXTS[i % 97 === 0 ? 4 + (i % 2) : i % 4],
      client: { kind: 'mobile', name: 'QQ', version: '9.0' },
    });
    try {
      const res = await pool.post('/v1/check/message', body);
      if (measure) {
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        const done = performance.now();
        lat.push(done - scheduled);
        lagMs.push(handed - scheduled);
        sentMs.push(done - handed);
      }
    } catch {
      if (measure) errors++;
    }
  };
  const loop = async (durationMs: number, measure: boolean) => {
    const interval = 1000 / spec.rate;
    const start = performance.now();
    const end = start + durationMs;
    const inflight = new Set<Promise<void>>();
    let next = start;
    while (next < end) {
      const now = performance.now();
      while (next <= now && next < end) {
        const p = one(measure, next).finally(() => inflight.delete(p));
        inflight.add(p);
        next += interval;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, Math.min(1, next - performance.now()))));
    }
    await Promise.all(inflight);
    return performance.now() - start;
  };
  await loop(spec.warmupMs, false);
  // the bench (the parent) samples the server over the measured seconds only
  process.send?.('measuring');
  const cpuFrom = process.cpuUsage();
  const durationMs = await loop(spec.durationMs, true);
  const cpu = process.cpuUsage(cpuFrom);
  pool.close();
  const cpuMs = (cpu.user + cpu.system) / 1000;
  return { count: lat.length, errors, statuses, durationMs, latenciesMs: lat, lagMs, sentMs, cpuMs };
}

interface Waiting {
  head: string;
  resolve: (r: { statusCode: number }) => void;
  reject: (e: Error) => void;
}

/** Keep-alive HTTP/1.1 connections, one request in flight on each; requests beyond them wait in turn. */
class MiniPool {
  private readonly host: string;
  private readonly port: number;
  private readonly fixed: string;
  private readonly idle: Conn[] = [];
  private readonly queue: Waiting[] = [];
  private readonly all = new Set<Conn>();
  private readonly size: number;

  constructor(url: string, size: number, headers: string) {
    const u = new URL(url);
    this.host = u.hostname.replace(/^\[|\]$/g, '');
    this.port = Number(u.port || 80);
    this.size = size;
    this.fixed = `Host: ${u.host}\r\n${headers}`;
  }

  post(path: string, body: string): Promise<{ statusCode: number }> {
    const head = `POST ${path} HTTP/1.1\r\n${this.fixed}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
    return new Promise((resolve, reject) => {
      this.queue.push({ head, resolve, reject });
      this.pump();
    });
  }

  close(): void {
    for (const c of this.all) c.socket.destroy();
  }

  private pump(): void {
    while (this.queue.length > 0) {
      let c = this.idle.pop();
      if (!c) {
        if (this.all.size >= this.size) return;
        c = new Conn(
          this.host,
          this.port,
          (done) => {
            this.idle.push(done);
            this.pump();
          },
          (gone) => {
            this.all.delete(gone);
            const i = this.idle.indexOf(gone);
            if (i >= 0) this.idle.splice(i, 1);
            this.pump();
          },
        );
        this.all.add(c);
      }
      c.send(this.queue.shift()!);
    }
  }
}

const HEADER_END = Buffer.from('\r\n\r\n');

class Conn {
  readonly socket: Socket;
  private waiting: Waiting | undefined;
  private buf: Buffer | undefined;

  constructor(host: string, port: number, free: (c: Conn) => void, gone: (c: Conn) => void) {
    this.socket = connect({ host, port, noDelay: true });
    this.socket.on('data', (d: Buffer) => {
      this.buf = this.buf ? Buffer.concat([this.buf, d]) : d;
      const w = this.waiting;
      if (!w) return;
      const end = this.buf.indexOf(HEADER_END);
      if (end < 0) return;
      const head = this.buf.toString('latin1', 0, end);
      const m = /\r\ncontent-length:\s*(\d+)/i.exec(head);
      if (!m) {
        this.waiting = undefined;
        w.reject(new Error('answer without Content-Length'));
        this.socket.destroy();
        return;
      }
      const total = end + 4 + Number(m[1]);
      if (this.buf.length < total) return;
      this.buf = this.buf.length > total ? this.buf.subarray(total) : undefined;
      this.waiting = undefined;
      w.resolve({ statusCode: Number(head.slice(9, 12)) });
      free(this);
    });
    this.socket.on('error', () => undefined);
    this.socket.on('close', () => {
      const w = this.waiting;
      this.waiting = undefined;
      gone(this);
      w?.reject(new Error('connection closed'));
    });
  }

  send(w: Waiting): void {
    this.waiting = w;
    this.socket.write(w.head);
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as CheckLoadSpec;
  process.stdout.write(JSON.stringify(await runCheckLoad(spec)));
  process.disconnect?.();
}
