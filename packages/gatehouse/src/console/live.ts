// The live overview as Server-Sent Events: one ticker computes the overview once per interval while at
// least one operator watches and sends it to every stream; each stream's operator (console session or
// API key) is checked again before every send, so a signed-out, disabled or demoted operator's stream
// ends at the next tick. The page falls back to polling GET /v1/console/overview when the stream fails.
import type { ServerResponse } from 'node:http';
import type { Logger } from '../log/index.ts';

interface Stream {
  res: ServerResponse;
  /** Whether the stream's operator may still read the overview. */
  allowed: () => Promise<boolean>;
}

export interface OverviewFeedOptions {
  /** The overview as GET /v1/console/overview answers it. */
  compute: () => Promise<unknown>;
  intervalMs: number;
  /** Streams open at once (all operators); more are refused. */
  maxStreams: number;
  log?: Logger;
}

export class OverviewFeed {
  private readonly streams = new Set<Stream>();
  private timer: NodeJS.Timeout | undefined;
  private ticking = false;
  private readonly o: OverviewFeedOptions;
  constructor(o: OverviewFeedOptions) {
    this.o = o;
  }

  get size(): number {
    return this.streams.size;
  }

  full(): boolean {
    return this.streams.size >= this.o.maxStreams;
  }

  /** Starts an event stream on `res` (headers written here) and sends the overview at once. */
  open(res: ServerResponse, allowed: () => Promise<boolean>): void {
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      'x-accel-buffering': 'no', // a proxy must not buffer the stream
      'x-content-type-options': 'nosniff',
    });
    // a reconnecting EventSource waits this long (the page polls meanwhile)
    res.write(`retry: ${Math.max(1000, this.o.intervalMs)}\n\n`);
    const s: Stream = { res, allowed };
    this.streams.add(s);
    res.on('close', () => this.drop(s));
    this.timer ??= setInterval(() => void this.tick(), this.o.intervalMs);
    void this.send([s]);
  }

  /** Ends every stream (the server is closing). */
  closeAll(): void {
    for (const s of [...this.streams]) {
      s.res.end();
      this.drop(s);
    }
  }

  private drop(s: Stream): void {
    this.streams.delete(s);
    if (this.streams.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async tick(): Promise<void> {
    if (this.ticking) return; // a slow database: skip a beat rather than pile up
    this.ticking = true;
    try {
      await this.send([...this.streams]);
    } finally {
      this.ticking = false;
    }
  }

  private async send(to: Stream[]): Promise<void> {
    if (to.length === 0) return;
    let data: string;
    try {
      data = JSON.stringify(await this.o.compute());
    } catch (err) {
      this.o.log?.error({ err }, 'live overview not computed');
      return;
    }
    for (const s of to) {
      if (!this.streams.has(s)) continue;
      const ok = await s.allowed().catch(() => false);
      if (!ok) {
        s.res.end('event: end\ndata: {"reason":"unauthenticated"}\n\n');
        this.drop(s);
        continue;
      }
      s.res.write(`event: overview\ndata: ${data}\n\n`);
    }
  }
}
