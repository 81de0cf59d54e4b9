import { Gauge, type Registry } from 'prom-client';

/** What one dependency says about itself: up or not, and the figures behind it. */
export interface CheckResult {
  ok: boolean;
  [detail: string]: unknown;
}

/** One dependency of readiness: a name and a check (a throw or a timeout counts as down). */
export interface ReadyCheck {
  name: string;
  check: () => Promise<CheckResult> | CheckResult;
}

export interface ReadyReport {
  ready: boolean;
  checks: Record<string, CheckResult>;
}

/**
 * /readyz, per dependency: each part adds a check for what it depends on (the database and its
 * migrations, the shared counters, the response queue's back-pressure; NATS where a part uses it),
 * all run at once with a time limit, so a dependency that hangs reads as down instead of hanging the
 * probe. The report names every check with its figures; ready only when every check is ok. The same
 * results feed `gatehouse_dependency_up{dependency}` for the metrics.
 */
export class Readiness {
  private readonly checks: ReadyCheck[] = [];
  private readonly timeoutMs: number;
  private gauge: Gauge | undefined;

  constructor(opts: { timeoutMs?: number } = {}) {
    this.timeoutMs = opts.timeoutMs ?? 2_000;
  }

  add(name: string, check: ReadyCheck['check']): this {
    this.checks.push({ name, check });
    return this;
  }

  registerMetrics(registry: Registry): void {
    this.gauge = new Gauge({
      name: 'gatehouse_dependency_up',
      help: 'Whether a dependency answered its readiness check (1) or not (0), as of the last /readyz',
      labelNames: ['dependency'],
      registers: [registry],
    });
  }

  async report(): Promise<ReadyReport> {
    const results = await Promise.all(
      this.checks.map(async (c) => {
        let timer: NodeJS.Timeout | undefined;
        const timeout = new Promise<CheckResult>((resolve) => {
          timer = setTimeout(
            () => resolve({ ok: false, error: `no answer in ${this.timeoutMs} ms` }),
            this.timeoutMs,
          );
        });
        try {
          const r = await Promise.race([Promise.resolve().then(c.check), timeout]);
          return [c.name, r] as const;
        } catch (e) {
          return [c.name, { ok: false, error: (e as Error).message.slice(0, 200) }] as const;
        } finally {
          clearTimeout(timer);
        }
      }),
    );
    const checks = Object.fromEntries(results);
    for (const [name, r] of results) this.gauge?.set({ dependency: name }, r.ok ? 1 : 0);
    return { ready: results.every(([, r]) => r.ok), checks };
  }
}
