import { newEventId, outboxStore } from '../bus/index.ts';
import { GatehouseError } from '../errors/index.ts';
import { retryTransient } from '../store/db.ts';
import type { Anomaly } from './anomaly.ts';
import { appView } from './registry.ts';
import type { OAuthService } from './service.ts';
import { oauthStore as q } from './store.ts';

/** How many access-log rows the kill switch reads to say which fields the app read (newest first). */
const MAX_LOG_ROWS = 200_000;

function suspendedNotice(name: { en: string; zh: string }, fields: string[]): { en: string; zh: string } {
  return {
    en: `The platform has switched off the app "${name.en}" for everyone and revoked its access to your account. ${
      fields.length ? `It had read: ${fields.join(', ')}.` : 'It had not read any of your data.'
    } You do not need to do anything; be wary of messages that quote this information.`,
    zh: `平台已对所有用户停用应用“${name.zh}”，并撤销了它对你账号的访问权限。${
      fields.length ? `它曾读取：${fields.join('、')}。` : '它没有读取过你的任何数据。'
    }你无需进行任何操作；请警惕引用这些信息的消息。`,
  };
}

/**
 * Tries of the kill switch's transaction, a safety net only: the batched saves (group-commit.ts) take
 * the app's lock before any row, in the kill switch's order, so they no longer deadlock with it (they
 * took it after a consumed code or another write of the batch: a deadlock victim under steady token
 * traffic, CI suspend-race; killswitch-lock-order.test.ts). A try run again is logged and counted in
 * the result's `attempts`.
 */
const SUSPEND_ATTEMPTS = 8;

/**
 * The kill switch: in ONE transaction the app is marked suspended, every grant, token and code it holds
 * is deleted, each affected user gets an `app.suspended` webhook (zh/en notice with the fields the app
 * had read from them) and bus event, the action is audited, and an incident is opened listing the
 * affected users and the fields read. Afterwards the provider refuses the app (invalid_client) and
 * every token it held (invalid_token).
 */
export async function suspendApp(s: OAuthService, clientId: string, reason: string, actor: string) {
  const app = await s.registry.get(clientId);
  if (app.status === 'suspended')
    throw new GatehouseError('APP_ALREADY_IN_STATE', 'the app is already suspended');
  await s.accessLog.flush();
  const t = s.now();
  // its cached tokens go now and again after the commit (a read under way cannot cache one back)
  s.tokens.forgetClient(clientId);
  // The status update is the transaction's first statement: it takes the app's row lock, which every
  // write of the app's grants, tokens and codes takes too, before anything else (group-commit.ts,
  // store.lockAppsForSave). A save that got the lock first has committed before the delete below runs
  // (and is deleted); one that comes later reads `suspended` and is refused. SQLite: one writer at a
  // time, the same order.
  let attempts = 1;
  const result = await retryTransient(
    () =>
      s.d.db.transaction().execute(async (tx) => {
        if (!(await s.registry.setStatusInTx(tx, clientId, 'suspended', reason)))
          throw new GatehouseError('APP_ALREADY_IN_STATE', 'the app is already suspended');
        const grants = await q.grantsOfClient(tx, clientId);
        const reads = await q.accessOfClient(tx, clientId, MAX_LOG_ROWS);
        const perUser = new Map<string, Set<string>>();
        const fieldCount = new Map<string, Set<string>>();
        for (const g of grants)
          if (g.account_id && !perUser.has(g.account_id)) perUser.set(g.account_id, new Set());
        for (const r of reads) {
          const f = perUser.get(r.account_id) ?? new Set<string>();
          perUser.set(r.account_id, f);
          for (const x of JSON.parse(r.fields) as string[]) {
            f.add(x);
            const c = fieldCount.get(x) ?? new Set<string>();
            c.add(r.account_id);
            fieldCount.set(x, c);
          }
          if (r.resource === 'friends') f.add('friends');
        }
        const revoked = await q.destroyClientEverything(tx, clientId);
        const accounts = [...perUser.keys()];
        const incident = await s.d.incidents.recordInTx(tx, {
          key: `app-suspended:${clientId}:${t}`,
          kind: 'app_suspended',
          title: `App suspended: ${app.name.en}`,
          at: t,
          accounts,
          timeline: {
            kind: 'app.suspended',
            summary: `${app.name.en} (${clientId}) suspended by ${actor}: ${reason}; ${grants.length} grants and ${revoked} tokens/codes revoked; ${accounts.length} users affected`,
            data: { client: clientId, actor, reason, grants: grants.length, revoked },
          },
          app: {
            client: clientId,
            name: app.name.en,
            reason,
            fieldsRead: Object.fromEntries([...fieldCount].map(([k, v]) => [k, v.size])),
            accountsRead: new Set(reads.map((r) => r.account_id)).size,
          },
        });
        const events = [];
        for (const [account, f] of perUser) {
          const fieldsRead = [...f].sort();
          const payload = {
            account,
            client: clientId,
            app: app.name,
            reason,
            incident: incident.id,
            fieldsRead,
            notice: suspendedNotice(app.name, fieldsRead),
          };
          await s.d.enqueueWebhook(tx, { type: 'app.suspended', account, payload });
          events.push({ id: newEventId(), type: 'app.suspended' as const, time: t, ...payload });
        }
        await outboxStore.append(tx, events);
        await s.d.appendAudit(tx, {
          actor,
          action: 'oauth.app.suspend',
          subject: clientId,
          data: { reason, grants: grants.length, revoked, users: accounts.length, incident: incident.id },
          at: t,
        });
        return { grants: grants.length, revoked, users: accounts.length, incident: incident.id };
      }),
    SUSPEND_ATTEMPTS,
    (err, attempt) => {
      attempts = attempt + 1;
      s.d.log.warn({ err, client: clientId, attempt }, 'kill switch transaction failed; running it again');
    },
  );
  s.tokens.forgetClient(clientId);
  s.registry.forget(clientId);
  s.d.onCommit?.();
  // attempts: how many times the transaction ran (1 unless a try was a deadlock victim or similar)
  return { app: await s.registry.get(clientId), ...result, attempts };
}

/** Lets a suspended app work again (its users must authorise it anew: nothing is restored). */
export async function resumeApp(s: OAuthService, clientId: string, reason: string, actor: string) {
  await s.registry.get(clientId);
  const t = s.now();
  await s.d.db.transaction().execute(async (tx) => {
    if (!(await s.registry.setStatusInTx(tx, clientId, 'active', null)))
      throw new GatehouseError('APP_ALREADY_IN_STATE', 'the app is not suspended');
    await s.d.appendAudit(tx, {
      actor,
      action: 'oauth.app.resume',
      subject: clientId,
      data: { reason },
      at: t,
    });
  });
  s.registry.forget(clientId);
  return s.registry.get(clientId);
}

/**
 * An anomaly becomes an incident (one per app, kind and window) with the signals that made it, and an
 * `app.anomaly` bus event, in one transaction. Operators decide on the kill switch.
 */
export async function openAnomalyIncident(s: OAuthService, a: Anomaly): Promise<string> {
  const r = await s.registry.cached(a.client);
  const app = r ? appView(r) : undefined;
  const name = app?.name.en ?? a.client;
  const what =
    a.kind === 'app_reading_breadth'
      ? `read the data of many users at an unusual rate`
      : `tokens used from many networks`;
  // the window slides; the key names the clock-aligned window the anomaly fired in, so that processes
  // that each saw it then record one incident
  const aligned = Math.floor(a.at / (a.window.end - a.window.start));
  const id = await s.d.db.transaction().execute(async (tx) => {
    const inc = await s.d.incidents.recordInTx(tx, {
      key: `app-anomaly:${a.client}:${a.kind}:${aligned}`,
      kind: 'app_anomaly',
      title: `App anomaly: ${name} ${what}`,
      at: a.at,
      accounts: a.accounts,
      timeline: {
        kind: `app.anomaly.${a.kind}`,
        summary: `${name}: ${a.signals.map((x) => `${x.name}=${x.value} (≥ ${x.threshold}, weight ${x.weight}): ${x.explanation.en}`).join(' ')}`,
        data: {
          client: a.client,
          kind: a.kind,
          score: a.score,
          signals: a.signals,
          grant: a.grant ?? null,
          window: a.window,
        },
      },
      app: {
        client: a.client,
        name,
        reason: `${what} (${a.signals.map((x) => x.name).join(', ')})`,
        fieldsRead: {},
        accountsRead: a.accounts.length,
      },
    });
    await outboxStore.append(tx, [
      {
        id: newEventId(),
        type: 'app.anomaly',
        time: a.at,
        client: a.client,
        kind: a.kind,
        incident: inc.id,
        score: a.score,
        signals: a.signals,
      },
    ]);
    return inc.id;
  });
  s.d.onCommit?.();
  s.d.log.warn({ client: a.client, kind: a.kind, signals: a.signals, incident: id }, 'app anomaly');
  return id;
}
