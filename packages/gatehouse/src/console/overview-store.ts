// The live overview's counts, read from the parts' tables in a few grouped queries (one minute buckets
// over the last hour). Reads only. Buckets are grouped by their output name `b`: PostgreSQL does not
// take `group by <the same expression>` when its parameters are bound again ($3 is not $1).
import { sql } from 'kysely';
import type { Db } from '../store/db.ts';

export interface OverviewCounts {
  minutes: number[];
  events: number[];
  checks: number[];
  decisions: Record<string, number[]>;
  decisionTotals: Record<string, number>;
  containments: number;
  frozen: number;
  openIncidents: number;
  holdsAwaiting: number;
  webhooks: { pending: number; failing: number; dead: number; delivered: number };
}

const MINUTE = 60_000;

export async function overviewCounts(db: Db, now: number, minutes = 60): Promise<OverviewCounts> {
  const end = Math.floor(now / MINUTE) * MINUTE + MINUTE;
  const since = end - minutes * MINUTE;
  const bucket = sql<number>`(received_at - ${since}) / ${MINUTE}`;
  const dbucket = sql<number>`(created_at - ${since}) / ${MINUTE}`;
  const [ev, dec, frozen, incidents, holds, wh, delivered] = await Promise.all([
    db
      .selectFrom('events')
      .select([
        sql<number>`cast(${bucket} as integer)`.as('b'),
        'origin',
        (eb) => eb.fn.countAll<number>().as('n'),
      ])
      .where('received_at', '>=', since)
      .groupBy([sql`b`, 'origin'])
      .execute(),
    db
      .selectFrom('engine_decisions')
      .select([
        sql<number>`cast(${dbucket} as integer)`.as('b'),
        'action',
        (eb) => eb.fn.countAll<number>().as('n'),
      ])
      .where('created_at', '>=', since)
      .groupBy([sql`b`, 'action'])
      .execute(),
    db
      .selectFrom('accounts')
      .select(['freeze_kind', (eb) => eb.fn.countAll<number>().as('n')])
      .where('state', '=', 'frozen')
      .groupBy('freeze_kind')
      .execute(),
    db
      .selectFrom('incidents')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '!=', 'closed')
      .executeTakeFirst(),
    db
      .selectFrom('holds')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('status', '=', 'held')
      .executeTakeFirst(),
    db
      .selectFrom('webhook_deliveries')
      .select([
        'state',
        sql<number>`sum(case when attempts > 0 then 1 else 0 end)`.as('retrying'),
        (eb) => eb.fn.countAll<number>().as('n'),
      ])
      .where('state', 'in', ['pending', 'dead'])
      .groupBy('state')
      .execute(),
    db
      .selectFrom('webhook_deliveries')
      .select((eb) => eb.fn.countAll<number>().as('n'))
      .where('state', '=', 'delivered')
      .where('done_at', '>=', now - 60 * MINUTE)
      .executeTakeFirst(),
  ]);
  const zeros = () => Array.from({ length: minutes }, () => 0);
  const out: OverviewCounts = {
    minutes: Array.from({ length: minutes }, (_, i) => since + i * MINUTE),
    events: zeros(),
    checks: zeros(),
    decisions: {},
    decisionTotals: {},
    containments: 0,
    frozen: 0,
    openIncidents: Number(incidents?.n ?? 0),
    holdsAwaiting: Number(holds?.n ?? 0),
    webhooks: { pending: 0, failing: 0, dead: 0, delivered: Number(delivered?.n ?? 0) },
  };
  for (const r of ev) {
    const b = Number(r.b);
    if (b < 0 || b >= minutes) continue;
    const series = r.origin === 'check' || r.origin === 'check-rehearsed' ? out.checks : out.events;
    series[b]! += Number(r.n);
  }
  for (const r of dec) {
    const b = Number(r.b);
    if (b < 0 || b >= minutes) continue;
    (out.decisions[r.action] ??= zeros())[b]! += Number(r.n);
    out.decisionTotals[r.action] = (out.decisionTotals[r.action] ?? 0) + Number(r.n);
  }
  for (const r of frozen) {
    out.frozen += Number(r.n);
    if (r.freeze_kind === 'containment') out.containments += Number(r.n);
  }
  for (const r of wh) {
    if (r.state === 'dead') out.webhooks.dead = Number(r.n);
    else {
      out.webhooks.pending = Number(r.n);
      out.webhooks.failing = Number(r.retrying);
    }
  }
  return out;
}
