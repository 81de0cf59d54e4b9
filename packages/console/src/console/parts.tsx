// Small pieces the console pages share: a reason + buttons form for operator actions, a time cell,
// a JSON block, a result line.
import { useState } from 'preact/hooks';
import { defineMessages, fmtTime, useLang } from '../lib/i18n.ts';
import { ErrorBox } from '../lib/ui.tsx';

const t = defineMessages({
  en: { reason: 'Reason (kept in the audit log)', done: 'Done.', working: 'Working…' },
  'zh-CN': { reason: '原因（记入审计日志）', done: '已完成。', working: '处理中…' },
});

export interface ActionButton {
  label: string;
  /** Runs the action with the reason typed; its answer is shown as done. */
  run: (reason: string) => Promise<unknown>;
  danger?: boolean;
  id?: string;
}

/** A reason field and the buttons that act with it; the reason is required. */
export function ReasonActions({
  buttons,
  onDone,
  idPrefix,
  needsReason = true,
}: {
  buttons: ActionButton[];
  onDone?: () => void;
  idPrefix: string;
  needsReason?: boolean;
}) {
  useLang();
  const [reason, setReason] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>();
  const [done, setDone] = useState(false);
  async function go(b: ActionButton) {
    setBusy(true);
    setError(undefined);
    setDone(false);
    try {
      await b.run(reason.trim());
      setDone(true);
      setReason('');
      onDone?.();
    } catch (e) {
      setError(e);
    } finally {
      setBusy(false);
    }
  }
  return (
    <div class="stack">
      {needsReason ? (
        <label>
          {t('reason')}
          <input
            id={`${idPrefix}-reason`}
            value={reason}
            maxLength={500}
            onInput={(e) => setReason((e.currentTarget as HTMLInputElement).value)}
          />
        </label>
      ) : null}
      <div class="row">
        {buttons.map((b) => (
          <button
            key={b.label}
            id={b.id}
            type="button"
            class={b.danger ? 'danger' : ''}
            disabled={busy || (needsReason && reason.trim() === '')}
            onClick={() => go(b)}
          >
            {b.label}
          </button>
        ))}
      </div>
      {busy ? <p aria-live="polite">{t('working')}</p> : null}
      {done ? (
        <p class="ok" role="status">
          {t('done')}
        </p>
      ) : null}
      <ErrorBox error={error} />
    </div>
  );
}

export function When({ at }: { at: number | null | undefined }) {
  useLang();
  return <time dateTime={at ? new Date(at).toISOString() : undefined}>{fmtTime(at)}</time>;
}

export function Json({ value }: { value: unknown }) {
  return <pre tabIndex={0}>{JSON.stringify(value, null, 2)}</pre>;
}

export { Section } from '../lib/layout.tsx';
