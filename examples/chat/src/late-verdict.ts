import type { CheckInput, GatehouseLink } from './gatehouse.ts';
import type { Logger } from './views.ts';

/**
 * A message delivered without a verdict (the pre-send check failed; fail open) is asked about again:
 * Gatehouse may have judged it after all (the check of a repeated id answers the verdict it recorded) or
 * judges it now. A late "block" or "hold" takes it back from its recipients (`takeBack`), as a retraction
 * webhook would — the message was stopped by Gatehouse, so no retraction webhook will come for it. When
 * Gatehouse cannot be asked after the last try, the message is reported as unchecked (POST /v1/events)
 * so that the engine still sees it (and retracts it if the account is contained later).
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

  private readonly d: LateVerdictDeps;

  constructor(deps: LateVerdictDeps) {
    this.d = deps;
  }

  recheck(input: CheckInput, attempt = 0): void {
    const id = input.messageId;
    const report = () => {
      this.waiting.delete(id);
      this.d.gh.report({ type: 'message.sent', ...input });
    };
    if (attempt >= this.d.delaysMs.length) return report();
    const timer = setTimeout(() => {
      this.waiting.delete(id);
      this.d.gh.check(input).then(
        (v) => {
          if (v.decision !== 'block' && v.decision !== 'hold') return;
          this.d.log.info({ message: id, decision: v.decision }, 'late verdict: taking the message back');
          this.d.takeBack(id, input.account);
        },
        () => this.recheck(input, attempt + 1),
      );
    }, this.d.delaysMs[attempt]);
    timer.unref();
    this.waiting.set(id, { timer, report });
  }

  /** Messages still waiting for a late verdict are reported as unchecked now (the chat is closing). */
  close(): void {
    for (const { timer, report } of [...this.waiting.values()]) {
      clearTimeout(timer);
      report();
    }
  }
}
