// The appeal flow for a frozen account, from the first page to restored: start (handle), prove it is
// you (recovery code, trusted friends, email or phone code, authenticator app, passkey), the pledge, a new password, the review of
// signed-in devices and apps, finish, and the report of what happened while the owner was out.
import { useState } from 'preact/hooks';
import { fmtTime, useLang } from '../../lib/i18n.ts';
import { ErrorBox, Loaded, useAsync } from '../../lib/ui.tsx';
import { L, Section } from '../ui.tsx';
import {
  call,
  caseToken,
  setCaseToken,
  type CaseView,
  type Method,
  type Report,
  type Step,
} from './client.ts';
import { ReportView } from './report.tsx';
import { t } from './texts.ts';

interface Owner {
  case: CaseView;
  methods: Method[];
  friends?: { confirmed: number; needed: number };
}

const STEP_OF: Record<Step, number> = {
  choose_method: 2,
  answer: 2,
  wait_for_friends: 2,
  wait: 2,
  pledge: 3,
  password: 4,
  review_sessions: 5,
  finish: 5,
  done: 6,
};

function Steps({ at }: { at: number }) {
  useLang();
  const names = [t('s1'), t('s2'), t('s3'), t('s4'), t('s5'), t('s6')];
  return (
    <ol class="steps" aria-label={t('steps')}>
      {names.map((n, i) => (
        <li key={n} aria-current={i + 1 === at ? 'step' : undefined} class={i + 1 < at ? 'done' : ''}>
          {n}
          {i + 1 === at ? <span class="visually-hidden"> ({t('current')})</span> : null}
        </li>
      ))}
    </ol>
  );
}

/** Runs one step; the answer's case replaces the shown one. */
function useStep(onCase: () => void) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const run = async (f: () => Promise<unknown>) => {
    setBusy(true);
    setError(undefined);
    try {
      await f();
      onCase();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error, run };
}

export function Appeal() {
  useLang();
  const [token, setToken] = useState(caseToken());
  const [report, setReport] = useState<Report | null>(null);
  return (
    <main>
      <h1>{t('title')}</h1>
      {report ? (
        <Finished report={report} />
      ) : token ? (
        <Flow
          onFinished={(r) => {
            setCaseToken(null);
            setReport(r);
          }}
          onGone={() => {
            setCaseToken(null);
            setToken(null);
          }}
        />
      ) : (
        <Start
          onStarted={(tk) => {
            setCaseToken(tk);
            setToken(tk);
          }}
        />
      )}
    </main>
  );
}

function Start({ onStarted }: { onStarted: (token: string) => void }) {
  useLang();
  const params = new URLSearchParams(location.search);
  const [queued, setQueued] = useState<{ notice: { en: string; zh: string } } | null>(null);
  const step = useStep(() => undefined);
  if (queued) return <p role="status">{t('queued', { notice: L(queued.notice) })}</p>;
  return (
    <>
      <Steps at={1} />
      <p>{t('intro')}</p>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const handle = String(new FormData(e.currentTarget as HTMLFormElement).get('handle')).trim();
          void step.run(async () => {
            const r = await call<{ token?: string; queued?: { notice: { en: string; zh: string } } }>(
              'POST',
              '/v1/recovery/appeals',
              { handle },
              null,
            );
            if (r.queued) setQueued(r.queued);
            else if (r.token) onStarted(r.token);
          });
        }}
      >
        <label>
          {t('handle')}
          <input name="handle" autocomplete="username" required value={params.get('handle') ?? ''} />
        </label>
        <button type="submit" disabled={step.busy}>
          {t('start')}
        </button>
        <ErrorBox error={step.error} />
      </form>
    </>
  );
}

function Flow({ onFinished, onGone }: { onFinished: (r: Report) => void; onGone: () => void }) {
  useLang();
  const owner = useAsync(() => call<Owner>('GET', '/v1/recovery/case'), []);
  const gone = (owner.error as { status?: number } | undefined)?.status === 401;
  if (gone) {
    return (
      <button type="button" onClick={onGone}>
        {t('startOver')}
      </button>
    );
  }
  return (
    <Loaded state={owner}>
      {(o) => (
        <>
          <Steps at={STEP_OF[o.case.next.step]} />
          <p class="next" role="status">
            {L(o.case.next)}
          </p>
          {o.case.lockedUntil && o.case.lockedUntil > Date.now() ? (
            <p class="error">{t('lockedUntil', { time: fmtTime(o.case.lockedUntil) })}</p>
          ) : null}
          <StepView owner={o} reload={owner.reload} onFinished={onFinished} onGone={onGone} />
        </>
      )}
    </Loaded>
  );
}

function StepView({
  owner,
  reload,
  onFinished,
  onGone,
}: {
  owner: Owner;
  reload: () => void;
  onFinished: (r: Report) => void;
  onGone: () => void;
}) {
  const step = owner.case.next.step;
  switch (step) {
    case 'choose_method':
    case 'answer':
    case 'wait_for_friends':
    case 'wait':
      return <Verify owner={owner} reload={reload} />;
    case 'pledge':
      return <Pledge reload={reload} />;
    case 'password':
      return <Password reload={reload} />;
    case 'review_sessions':
      return <Review reload={reload} />;
    case 'finish':
      return <Finish onFinished={onFinished} />;
    case 'done':
      return (
        <div class="stack">
          <p>{t('caseGone', { state: owner.case.state })}</p>
          <button type="button" onClick={onGone}>
            {t('startOver')}
          </button>
        </div>
      );
  }
}

interface Started {
  instructions: { en: string; zh: string };
  sentTo?: string;
  friendCodes?: Array<{ friend: string; code: string }>;
  needed?: number;
  /** passkey: the request options for navigator.credentials.get (JSON form). */
  webauthn?: Record<string, unknown>;
}

type PKC = typeof PublicKeyCredential & {
  parseRequestOptionsFromJSON?: (o: unknown) => PublicKeyCredentialRequestOptions;
};

/** Asks this device for a passkey assertion against the case's challenge; its JSON form for the API. */
async function passkeyAssertion(options: Record<string, unknown>): Promise<unknown> {
  const P = globalThis.PublicKeyCredential as PKC | undefined;
  if (!P?.parseRequestOptionsFromJSON) throw new Error(t('noWebauthn'));
  const cred = (await navigator.credentials.get({
    publicKey: P.parseRequestOptionsFromJSON(options),
  })) as (PublicKeyCredential & { toJSON(): unknown }) | null;
  if (!cred) throw new Error(t('noWebauthn'));
  return cred.toJSON();
}

function Verify({ owner, reload }: { owner: Owner; reload: () => void }) {
  useLang();
  const [started, setStarted] = useState<Started | null>(null);
  const [choosing, setChoosing] = useState(owner.case.next.step === 'choose_method');
  const s = useStep(reload);
  // a passkey step needs this page's options (a reload loses them): choose again
  const lostOptions = owner.case.method === 'passkey' && !started?.webauthn;
  const answering = !choosing && !lostOptions && (owner.case.next.step === 'answer' || started !== null);
  const methodKey = (k: Method['kind']) => `m_${k}` as const;
  return (
    <Section id="verify" title={t('s2')}>
      <ErrorBox error={s.error} />
      {owner.case.next.step === 'wait' && owner.case.readyAt ? (
        <p>{t('waitUntil', { time: fmtTime(owner.case.readyAt) })}</p>
      ) : null}
      {owner.friends ? (
        <p id="friends-status">
          {t('friendsStatus', { confirmed: owner.friends.confirmed, needed: owner.friends.needed })}{' '}
          <button type="button" class="secondary" onClick={reload}>
            {t('refresh')}
          </button>
        </p>
      ) : null}
      {choosing || !answering ? (
        <fieldset class="stack">
          <legend>{t('chooseMethod')}</legend>
          {owner.methods.map((m) => (
            <div key={m.kind} class="item">
              <span>
                {t(methodKey(m.kind))}
                {m.available ? '' : ` — ${t('unavailable')}`}
              </span>
              <button
                type="button"
                disabled={!m.available || s.busy}
                aria-label={`${t('use')}: ${t(methodKey(m.kind))}`}
                onClick={() =>
                  s.run(async () => {
                    setStarted(
                      await call<Started>('POST', '/v1/recovery/case/verification', { method: m.kind }),
                    );
                    setChoosing(false);
                  })
                }
              >
                {t('use')}
              </button>
            </div>
          ))}
        </fieldset>
      ) : (
        <div class="stack">
          {started ? <p>{L(started.instructions)}</p> : null}
          {started?.sentTo ? <p>{t('sentTo', { to: started.sentTo })}</p> : null}
          {started?.friendCodes ? (
            <>
              <p>{t('friendCodes', { needed: started.needed ?? 0 })}</p>
              <ul id="friend-codes">
                {started.friendCodes.map((f) => (
                  <li key={f.friend}>
                    <strong>{f.friend}</strong>: <code>{f.code}</code>
                  </li>
                ))}
              </ul>
            </>
          ) : started?.webauthn ? (
            <button
              type="button"
              id="use-passkey"
              disabled={s.busy}
              onClick={() =>
                s.run(async () =>
                  call('POST', '/v1/recovery/case/verification/answer', {
                    credential: await passkeyAssertion(started.webauthn!),
                  }),
                )
              }
            >
              {t('usePasskey')}
            </button>
          ) : (
            <form
              class="row"
              onSubmit={(e) => {
                e.preventDefault();
                const code = String(new FormData(e.currentTarget as HTMLFormElement).get('code'));
                void s.run(() => call('POST', '/v1/recovery/case/verification/answer', { code }));
              }}
            >
              <label>
                {t('code')}
                <input name="code" autocomplete="one-time-code" required />
              </label>
              <button type="submit" disabled={s.busy}>
                {t('submit')}
              </button>
            </form>
          )}
          <button type="button" class="secondary" onClick={() => setChoosing(true)}>
            {t('otherMethod')}
          </button>
        </div>
      )}
    </Section>
  );
}

function Pledge({ reload }: { reload: () => void }) {
  useLang();
  const pledge = useAsync(
    () => call<{ version: string; en: string; zh: string }>('GET', '/v1/recovery/pledge'),
    [],
  );
  const [accepted, setAccepted] = useState(false);
  const s = useStep(reload);
  return (
    <Section id="pledge" title={t('pledgeTitle')}>
      <Loaded state={pledge}>
        {(p) => (
          <form
            class="stack"
            onSubmit={(e) => {
              e.preventDefault();
              void s.run(() =>
                call('POST', '/v1/recovery/case/pledge', { version: p.version, accept: true }),
              );
            }}
          >
            <blockquote class="pledge">{L(p)}</blockquote>
            <label class="inline">
              <input
                type="checkbox"
                required
                checked={accepted}
                onChange={(e) => setAccepted(e.currentTarget.checked)}
              />
              {t('accept')}
            </label>
            <button type="submit" disabled={!accepted || s.busy}>
              {t('s3')}
            </button>
            <ErrorBox error={s.error} />
          </form>
        )}
      </Loaded>
    </Section>
  );
}

function Password({ reload }: { reload: () => void }) {
  useLang();
  const s = useStep(reload);
  const reasons = (s.error as { problem?: { reasons?: Array<{ en: string; zh: string }> } } | undefined)
    ?.problem?.reasons;
  return (
    <Section id="password" title={t('newPassword')}>
      <form
        class="stack"
        onSubmit={(e) => {
          e.preventDefault();
          const newPassword = String(new FormData(e.currentTarget as HTMLFormElement).get('newPassword'));
          void s.run(() => call('POST', '/v1/recovery/case/password', { newPassword }));
        }}
      >
        <label>
          {t('newPassword')}
          <input
            name="newPassword"
            type="password"
            autocomplete="new-password"
            required
            aria-describedby="pw-help"
          />
        </label>
        <p class="muted" id="pw-help">
          {t('newPasswordHelp')}
        </p>
        <button type="submit" disabled={s.busy}>
          {t('setPassword')}
        </button>
        <ErrorBox error={s.error} />
        {reasons ? (
          <ul class="error">
            {reasons.map((r, i) => (
              <li key={i}>{L(r)}</li>
            ))}
          </ul>
        ) : null}
      </form>
    </Section>
  );
}

interface ReviewSession {
  id: string;
  method: string;
  device: { label: string; browser?: string; os?: string };
  ip: string;
  createdAt: number;
  live: boolean;
  duringCompromise: boolean;
}
interface ReviewGrant {
  id: string;
  client: string;
  scopes: string[];
  name?: { en: string; zh: string };
  authorisedDuringWindow?: boolean;
}

function Review({ reload }: { reload: () => void }) {
  useLang();
  const list = useAsync(
    () =>
      call<{ sessions: ReviewSession[]; grants: ReviewGrant[] | null; mustRevoke: string[] }>(
        'GET',
        '/v1/recovery/case/sessions',
      ),
    [],
  );
  const [keep, setKeep] = useState<Record<string, boolean>>({});
  const [keepGrant, setKeepGrant] = useState<Record<string, boolean>>({});
  const s = useStep(reload);
  return (
    <Section id="review" title={t('sessionsTitle')}>
      <p>{t('sessionsHelp')}</p>
      <Loaded state={list}>
        {(d) => {
          const live = d.sessions.filter((x) => x.live);
          return (
            <form
              class="stack"
              onSubmit={(e) => {
                e.preventDefault();
                const must = new Set(d.mustRevoke);
                const kept = live.filter((x) => keep[x.id] && !must.has(x.id)).map((x) => x.id);
                const body: Record<string, string[]> = {
                  keep: kept,
                  revoke: d.sessions.filter((x) => !kept.includes(x.id)).map((x) => x.id),
                };
                if (d.grants) {
                  body.keepGrants = d.grants.filter((g) => keepGrant[g.id]).map((g) => g.id);
                  body.revokeGrants = d.grants.filter((g) => !keepGrant[g.id]).map((g) => g.id);
                }
                void s.run(() => call('POST', '/v1/recovery/case/sessions/review', body));
              }}
            >
              <ul class="plain">
                {d.sessions.map((x) => (
                  <li key={x.id} class="item" data-review={x.id}>
                    <span>
                      <strong>{x.device.label}</strong> · {x.ip} · {fmtTime(x.createdAt)}{' '}
                      {x.duringCompromise ? <span class="badge danger">{t('duringCompromise')}</span> : null}
                      {x.live ? null : <span class="badge">{t('ended')}</span>}
                    </span>
                    {x.live && !d.mustRevoke.includes(x.id) ? (
                      <label class="inline">
                        <input
                          type="checkbox"
                          checked={!!keep[x.id]}
                          onChange={(e) => setKeep({ ...keep, [x.id]: e.currentTarget.checked })}
                        />
                        {t('keep')}
                      </label>
                    ) : x.live ? (
                      <span>{t('signOut')}</span>
                    ) : null}
                  </li>
                ))}
              </ul>
              {d.grants && d.grants.length > 0 ? (
                <>
                  <h3>{t('appsTitle')}</h3>
                  <ul class="plain">
                    {d.grants.map((g) => (
                      <li key={g.id} class="item">
                        <span>
                          <strong>{g.name ? L(g.name) : g.client}</strong> · {g.scopes.join(', ')}{' '}
                          {g.authorisedDuringWindow ? (
                            <span class="badge danger">{t('authorisedDuring')}</span>
                          ) : null}
                        </span>
                        <label class="inline">
                          <input
                            type="checkbox"
                            checked={!!keepGrant[g.id]}
                            onChange={(e) => setKeepGrant({ ...keepGrant, [g.id]: e.currentTarget.checked })}
                          />
                          {t('keepApp')}
                        </label>
                      </li>
                    ))}
                  </ul>
                </>
              ) : null}
              <button type="submit" disabled={s.busy}>
                {t('saveReview')}
              </button>
              <ErrorBox error={s.error} />
            </form>
          );
        }}
      </Loaded>
    </Section>
  );
}

function Finish({ onFinished }: { onFinished: (r: Report) => void }) {
  useLang();
  const s = useStep(() => undefined);
  return (
    <Section id="finish" title={t('s6')}>
      <button
        type="button"
        disabled={s.busy}
        onClick={() =>
          s.run(async () => {
            const r = await call<{ report: Report }>('POST', '/v1/recovery/case/finish', {});
            onFinished(r.report);
          })
        }
      >
        {t('finish')}
      </button>
      <ErrorBox error={s.error} />
    </Section>
  );
}

function Finished({ report }: { report: Report }) {
  useLang();
  return (
    <>
      <Steps at={6} />
      <p class="ok" role="status" id="appeal-done">
        {t('done')}
      </p>
      <Section id="report-section" title={t('reportTitle')}>
        <ReportView report={report} />
      </Section>
      <a href="/me/">{t('signInAgain')}</a>
    </>
  );
}
