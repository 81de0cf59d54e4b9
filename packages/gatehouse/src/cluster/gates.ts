/**
 * The pre-send check's gates across processes. The response part throttles an account in the process
 * that handled the decision (the dispatcher) or lifts it in the one that answered the owner's challenge
 * (an api); identity puts a session on probation in the api that approved its QR login. But the check
 * of the account is answered by the engine worker owning its partition. Every change is announced on
 * `<name>.throttle` / `<name>.probation` (core NATS) and applied by every engine worker at once; each
 * engine worker also re-reads both from the database at start and every few seconds (a change
 * announced while it could not hear it). The count of a throttled account's messages in the current
 * minute lives with the worker answering its checks (a new owner starts the minute again).
 */
import { z } from 'zod';
import type { Probation } from '../identity/qr/probation.ts';
import type { Logger } from '../log/index.ts';
import type { ThrottleGate } from '../response/throttle.ts';
import type { Db } from '../store/db.ts';
import type { ClusterLink } from './nats.ts';

const SYNC_MS = 5_000;

/** A throttle set (`perMinute`) or lifted (null) on an account: the contract of `<name>.throttle`. */
const ThrottleChange = z.object({
  account: z.string().min(1).max(200),
  perMinute: z.number().int().nonnegative().nullable(),
  until: z.number(),
});
type ThrottleChange = z.infer<typeof ThrottleChange>;

/** A probation begun (`until`) or ended (null) on a session: the contract of `<name>.probation`. */
const ProbationChange = z.object({ session: z.string().min(1).max(200), until: z.number().nullable() });
type ProbationChange = z.infer<typeof ProbationChange>;

export class GateShare {
  private timer: NodeJS.Timeout | undefined;
  private readonly unsub: Array<() => void> = [];
  private throttles: ThrottleGate | undefined;
  private probation: Probation | undefined;
  /** Changes heard from other processes. */
  heard = 0;

  private readonly link: ClusterLink;
  private readonly db: Db;
  private readonly log: Logger;

  constructor(link: ClusterLink, db: Db, log: Logger) {
    this.link = link;
    this.db = db;
    this.log = log;
  }

  /** Every role announces the throttles it sets or lifts. */
  announceThrottles(gate: ThrottleGate): void {
    this.throttles = gate;
    gate.onChange = (account, t) => {
      const c: ThrottleChange = { account, perMinute: t?.perMinute ?? null, until: t?.until ?? 0 };
      this.link.nc.publish(this.link.names.throttles, JSON.stringify(c));
    };
  }

  /** Every role announces the probations it begins or ends. */
  announceProbation(p: Probation): void {
    this.probation = p;
    p.onChange = (session, until) => {
      const c: ProbationChange = { session, until };
      this.link.nc.publish(this.link.names.probation, JSON.stringify(c));
    };
  }

  private on<T>(subject: string, schema: z.ZodType<T>, apply: (c: T) => void): void {
    const sub = this.link.nc.subscribe(subject, {
      callback: (err, m) => {
        if (err) return;
        try {
          apply(schema.parse(m.json()));
          this.heard++;
        } catch (e) {
          this.log.warn({ err: e, subject }, 'gate change not applied');
        }
      },
    });
    this.unsub.push(() => sub.unsubscribe());
  }

  /** An engine worker applies every change (and re-reads the database as a backstop). */
  async follow(): Promise<void> {
    const { throttles, probation } = this;
    if (throttles)
      this.on(this.link.names.throttles, ThrottleChange, (c) =>
        throttles.apply(c.account, c.perMinute, c.until),
      );
    if (probation)
      this.on(this.link.names.probation, ProbationChange, (c) => probation.apply(c.session, c.until));
    await this.sync();
    this.timer = setInterval(() => {
      this.sync().catch((err: unknown) => this.log.warn({ err }, 'gates not re-read'));
    }, SYNC_MS);
    this.timer.unref();
  }

  private async sync(): Promise<void> {
    await this.throttles?.sync(this.db, Date.now());
    await this.probation?.refresh();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    for (const u of this.unsub) u();
    if (this.throttles) this.throttles.onChange = undefined;
    if (this.probation) this.probation.onChange = undefined;
  }
}
