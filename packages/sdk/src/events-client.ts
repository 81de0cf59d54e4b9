/**
 * A batching client for POST /v1/events and the pre-send check (POST /v1/check/message).
 *
 * - Events are queued and sent in batches (≤ 1,000) when `batchSize` events are waiting or every
 *   `flushIntervalMs`.
 * - Transient failures (network errors, 408, 429, 5xx) are retried with exponential backoff and
 *   jitter (honouring Retry-After). A 413 splits the batch in two. Retries reuse the same event ids,
 *   and the server is idempotent by id, so a retry never double-counts.
 * - Nothing is dropped silently: the queue is bounded; `send()` waits for room (backpressure) and
 *   `trySend()` says false when full. A batch that still fails after `maxRetries`, or that the server
 *   refuses as a whole (400/401/403), is handed to `onError` with its events; without `onError`,
 *   `flush()`/`close()` reject with the error. Events the server rejects one by one (invalid_event,
 *   too_old …) are handed to `onRejected` with the reason.
 * - `close()` flushes everything still queued.
 */
import type { Reason } from './localized.ts';
import {
  MAX_TEXT_BYTES,
  utf8Over,
  withIdAndTime,
  type MessageSentInput,
  type PlatformEventInput,
} from './platform-events.ts';

export interface EventResult {
  index: number;
  id: string | null;
  status: 'accepted' | 'duplicate' | 'rejected';
  reason?: string;
  detail?: string;
}

/**
 * The pre-send check's answer. Act on `verdict` (what happens to this message): `allow` delivers it,
 * `hold` keeps it undelivered until a `message.release` (or drops it at `message.expire`), `block`
 * drops it. `action` is what the response part does about the account (`challenge` asks the owner,
 * `contain` freezes it); its effects arrive as webhooks.
 */
export interface CheckMessageAnswer {
  id: string;
  verdict: 'allow' | 'hold' | 'block';
  action: 'allow' | 'challenge' | 'hold' | 'block' | 'contain';
  risk: number;
  reasons: Reason[];
  campaigns: string[];
  duplicate: boolean;
  /**
   * Present when Gatehouse's policy only rehearses the decision (dry-run): the verdict it would have
   * given. `verdict` is then `allow` (or a throttle's hold); log this to judge the policy before enforcing.
   */
  rehearsal?: 'hold' | 'block';
}

/** A message to check: a `message.sent` event whose `type`, `id` and `time` may be left out (filled). */
export type CheckMessageInput = Omit<MessageSentInput, 'type' | 'id' | 'time'> & {
  type?: 'message.sent';
  /** The idempotency key (a retry with the same id returns the first answer); generated when absent. */
  id?: string;
  /** ISO 8601 or epoch ms; now when absent. */
  time?: string | number;
};

/**
 * A text over MAX_TEXT_BYTES (1 MiB of UTF-8) is refused before it is sent, with the code the server
 * would answer (`text_too_long`): Gatehouse scores a message whole or not at all.
 */
function refuseTooLong(event: object): void {
  const text = (event as { text?: unknown }).text;
  if (typeof text !== 'string') return;
  const over = utf8Over(text, MAX_TEXT_BYTES);
  if (over > 0)
    throw new EventsClientError(
      `text is ${over} bytes of UTF-8; at most ${MAX_TEXT_BYTES} per message`,
      undefined,
      'text_too_long',
    );
}

export class EventsClientError extends Error {
  readonly status: number | undefined;
  readonly code: string | undefined;
  constructor(message: string, status?: number, code?: string) {
    super(message);
    this.name = 'EventsClientError';
    this.status = status;
    this.code = code;
  }
}

export interface EventsClientOptions {
  baseUrl: string;
  /** Operator API key with the events:write scope. */
  apiKey: string;
  batchSize?: number;
  flushIntervalMs?: number;
  /** Most events held in memory; send() waits for room beyond it. */
  maxQueue?: number;
  maxRetries?: number;
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  timeoutMs?: number;
  fetch?: typeof fetch;
  onRejected?: (rejected: Array<{ event: PlatformEventInput; result: EventResult }>) => void;
  onError?: (err: EventsClientError, events: PlatformEventInput[]) => void;
}

export interface EventsClientStats {
  sent: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  failed: number;
  retries: number;
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class EventsClient {
  readonly stats: EventsClientStats = {
    sent: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    failed: 0,
    retries: 0,
  };
  private readonly o: Required<Omit<EventsClientOptions, 'onRejected' | 'onError' | 'fetch'>> &
    Pick<EventsClientOptions, 'onRejected' | 'onError'>;
  private readonly f: typeof fetch;
  private queue: PlatformEventInput[] = [];
  private timer: NodeJS.Timeout | undefined;
  private inflight: Promise<void> | undefined;
  private waiters: Array<() => void> = [];
  private pendingError: EventsClientError | undefined;
  private closed = false;

  constructor(opts: EventsClientOptions) {
    this.o = {
      batchSize: 500,
      flushIntervalMs: 200,
      maxQueue: 10_000,
      maxRetries: 8,
      baseBackoffMs: 100,
      maxBackoffMs: 10_000,
      timeoutMs: 10_000,
      ...opts,
      baseUrl: opts.baseUrl.replace(/\/+$/, ''),
    };
    this.o.batchSize = Math.min(1000, Math.max(1, this.o.batchSize));
    this.f = opts.fetch ?? fetch;
  }

  /** Events waiting to be sent. */
  get queued(): number {
    return this.queue.length;
  }

  /** Queues an event; waits while the queue is full (backpressure). */
  async send(event: PlatformEventInput): Promise<void> {
    if (this.closed) throw new EventsClientError('the client is closed');
    while (this.queue.length >= this.o.maxQueue) {
      this.kick();
      await new Promise<void>((r) => this.waiters.push(r));
    }
    this.enqueue(event);
  }

  /** Queues an event if there is room; false when the queue is full. */
  trySend(event: PlatformEventInput): boolean {
    if (this.closed) throw new EventsClientError('the client is closed');
    if (this.queue.length >= this.o.maxQueue) return false;
    this.enqueue(event);
    return true;
  }

  private enqueue(event: PlatformEventInput): void {
    refuseTooLong(event);
    this.queue.push(event);
    if (this.queue.length >= this.o.batchSize) this.kick();
    else this.timer ??= setTimeout(() => this.kick(), this.o.flushIntervalMs);
  }

  private kick(): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.inflight) return;
    this.inflight = this.pump().finally(() => {
      this.inflight = undefined;
      if (this.queue.length > 0) this.timer ??= setTimeout(() => this.kick(), this.o.flushIntervalMs);
    });
  }

  private async pump(): Promise<void> {
    while (this.queue.length > 0) {
      const batch = this.queue.splice(0, this.o.batchSize);
      for (const w of this.waiters.splice(0)) w();
      await this.deliver(batch);
    }
  }

  private async deliver(batch: PlatformEventInput[]): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      let status: number | undefined;
      let retryAfter = 0;
      let err: EventsClientError;
      try {
        const res = await this.f(`${this.o.baseUrl}/v1/events`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.apiKey}` },
          body: JSON.stringify({ events: batch }),
          signal: AbortSignal.timeout(this.o.timeoutMs),
        });
        status = res.status;
        if (res.ok) {
          const body = (await res.json()) as { results: EventResult[] };
          this.account(batch, body.results);
          return;
        }
        const problem = (await res.json().catch(() => ({}))) as {
          code?: string;
          detail?: string;
          title?: string;
        };
        err = new EventsClientError(
          `POST /v1/events: ${res.status} ${problem.code ?? ''} ${problem.detail ?? problem.title ?? ''}`.trim(),
          res.status,
          problem.code,
        );
        retryAfter = Number(res.headers.get('retry-after') ?? 0) * 1000;
        if (res.status === 413 && batch.length > 1) {
          const half = Math.ceil(batch.length / 2);
          await this.deliver(batch.slice(0, half));
          await this.deliver(batch.slice(half));
          return;
        }
      } catch (e) {
        err =
          e instanceof EventsClientError
            ? e
            : new EventsClientError(`POST /v1/events: ${(e as Error).message}`);
      }
      const transient = status === undefined || status === 408 || status === 429 || status >= 500;
      if (!transient || attempt >= this.o.maxRetries) {
        this.fail(err, batch);
        return;
      }
      this.stats.retries++;
      const backoff = Math.min(this.o.maxBackoffMs, this.o.baseBackoffMs * 2 ** attempt);
      await sleep(Math.max(retryAfter, backoff / 2 + Math.random() * (backoff / 2)));
    }
  }

  private account(batch: PlatformEventInput[], results: EventResult[]): void {
    this.stats.sent += batch.length;
    const rejected: Array<{ event: PlatformEventInput; result: EventResult }> = [];
    for (const r of results) {
      if (r.status === 'accepted') this.stats.accepted++;
      else if (r.status === 'duplicate') this.stats.duplicates++;
      else {
        this.stats.rejected++;
        rejected.push({ event: batch[r.index]!, result: r });
      }
    }
    if (rejected.length > 0) this.o.onRejected?.(rejected);
  }

  private fail(err: EventsClientError, events: PlatformEventInput[]): void {
    this.stats.failed += events.length;
    if (this.o.onError) this.o.onError(err, events);
    else this.pendingError = err;
  }

  /** Sends everything queued; rejects if a batch failed and no onError handler took it. */
  async flush(): Promise<void> {
    this.kick();
    while (this.inflight || this.queue.length > 0) {
      if (!this.inflight) this.kick();
      await this.inflight;
    }
    const e = this.pendingError;
    this.pendingError = undefined;
    if (e) throw e;
  }

  /** Flushes and stops; further send() calls throw. */
  async close(): Promise<void> {
    this.closed = true;
    await this.flush();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  /**
   * Pre-send check of one message (not batched): allow, hold or block with reasons. `id` and `time` are
   * filled when omitted.
   *
   * @example
   * const a = await events.checkMessage({ account: sender, recipients: [to], text, client: { kind: 'web', name: 'chat' } });
   * if (a.verdict !== 'allow') return showHeld(a.reasons);
   */
  async checkMessage(message: CheckMessageInput): Promise<CheckMessageAnswer> {
    refuseTooLong(message);
    const res = await this.f(`${this.o.baseUrl}/v1/check/message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${this.o.apiKey}` },
      body: JSON.stringify(withIdAndTime('message.sent', message)),
      signal: AbortSignal.timeout(this.o.timeoutMs),
    });
    const body = (await res.json().catch(() => ({}))) as Record<string, unknown>;
    if (!res.ok)
      throw new EventsClientError(
        `POST /v1/check/message: ${res.status} ${String(body.code ?? '')} ${String(body.detail ?? body.title ?? '')}`.trim(),
        res.status,
        typeof body.code === 'string' ? body.code : undefined,
      );
    return body as unknown as CheckMessageAnswer;
  }
}
