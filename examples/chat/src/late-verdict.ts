import type { CheckInput, GatehouseLink } from './gatehouse.ts';
import type { Logger } from './views.ts';

/**
 * A message delivered without a verdict (the pre-send check failed; fail open) is asked about again:
 * Gatehouse may have judged it after all (the check of a repeated id answers the verdict it recorded) or
 * judges it now. A late "block" or "hold" takes it back from its recipients (`takeBack`), as a retraction
 * webhook would. A late "block" is also reported (POST /v1/events): Gatehouse logged the message as
 * stopped, and the report tells it that the message reached its recipients, so that it retracts it and
 * warns them on a contained account. When Gatehouse cannot be asked after the last try, the message is
 * reported as unchecked (POST /v1/events) so that the engine still sees it (and retracts it if the
 * account is contained later).
 */
export interface LateVerdictDeps {
  gh: GatehouseLink;
  log: Logger;
  /** How long to wait before each new ask; after the last, the report. */
  delaysMs: readonly number[];
  takeBack: (messageId: string, account: string) => void;
}

export class LateVerdicts {
  /** Re-asks still waiting (reported at close). */
  private readonly waiting = new Map<string, { timer: NodeJS.Timeout; report: () => void }>();
  /** Messages still without a verdict or a report (waiting, or being asked). */
  private open = 0;
  private idleWaiters: Array<() => void> = [];

  private readonly d: LateVerdictDeps;

  constructor(deps: LateVerdictDeps) {
    this.d = deps;
  }

  recheck(input: CheckInput): void {
    this.open++;
    this.ask(input, 0);
  }

  private ask(input: CheckInput, attempt: number): void {
    const id = input.messageId;
    const report = () => {
      this.waiting.delete(id);
      this.d.gh.report({ type: 'message.sent', ...input });
      this.settled();
    };
    if (attempt >= this.d.delaysMs.length) return report();
    const timer = setTimeout(() => {
      this.waiting.delete(id);
      this.d.gh.check(input).then(
        (v) => {
          if (v.decision === 'block' || v.decision === 'hold') {
            this.d.log.info({ message: id, decision: v.decision }, 'late verdict: taking the message back');
            this.d.takeBack(id, input.account);
            // delivered, though Gatehouse stopped it: it retracts it (and warns) on a contained account
            if (v.decision === 'block') this.d.gh.report({ type: 'message.sent', ...input });
          }
          this.settled();
        },
        () => this.ask(input, attempt + 1),
      );
    }, this.d.delaysMs[attempt]);
    timer.unref();
    this.waiting.set(id, { timer, report });
  }

  private settled(): void {
    if (--this.open > 0) return;
    const w = this.idleWaiters;
    this.idleWaiters = [];
    for (const f of w) f();
  }

  /** Resolves once every message delivered without a verdict has its late verdict or its report. */
  idle(): Promise<void> {
    if (this.open === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  /** Messages still waiting for a late verdict are reported as unchecked now (the chat is closing). */
  close(): void {
    for (const { timer, report } of [...this.waiting.values()]) {
      clearTimeout(timer);
      report();
    }
  }
}
